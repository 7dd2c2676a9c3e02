import base64
import json
import time

from parley import jwt

SECRET = "s" * 32


def b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_round_trip():
    claims = {"source_id": "abc", "inbox_id": 3, "exp": int(time.time()) + 60}
    assert jwt.decode(jwt.encode(claims, SECRET), SECRET) == claims


def test_refuses_tampering_other_algorithms_expiry_and_junk():
    good = jwt.encode({"inbox_id": 1, "exp": int(time.time()) + 60}, SECRET)
    header, claims, signature = good.split(".")
    assert jwt.decode(f"{header}.{b64({'inbox_id': 2, 'exp': int(time.time()) + 60})}.{signature}", SECRET) is None
    assert jwt.decode(f"{b64({'alg': 'none', 'typ': 'JWT'})}.{claims}.", SECRET) is None
    assert jwt.decode(f"{b64({'alg': 'HS512', 'typ': 'JWT'})}.{claims}.{signature}", SECRET) is None
    assert jwt.decode(good, "another secret") is None
    assert jwt.decode(jwt.encode({"exp": int(time.time()) - 1}, SECRET), SECRET) is None
    assert jwt.decode(jwt.encode({"inbox_id": 1}, SECRET), SECRET) is None  # no expiry: refused
    assert jwt.decode(jwt.encode({"exp": "never"}, SECRET), SECRET) is None
    for junk in ("", "a.b", "a.b.c.d", "!!!.###.$$$", "x" * 5000, f"{header}.{b64([1, 2])}.{signature}"):
        assert jwt.decode(junk, SECRET) is None
