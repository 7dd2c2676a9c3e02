"""Two costs of the AWS test doubles that every test paid, removed without changing a byte
of what the code under test sees (tests/unit/test_moto_speed.py compares both ways):

- moto 5.2 serialises every DynamoDB response through its generic, model-driven
  serializer: each attribute of each item walks the ten members of the AttributeValue
  shape with alias lookups (about 8 ms a response). An AttributeValue that moto hands
  over is already its JSON wire form ({"S": "x"}, {"M": {...}}), so it is written as is.
- Each test starts a fresh moto account, and the clients made for it (pynamodb's
  connection, parley.aws's) each build a botocore session whose loader parses the
  endpoint list and service models again (about 60 ms a test). The parsed files are
  shared between loaders with the same search paths, as one loader already shares them
  between its own clients."""
from __future__ import annotations

from botocore.loaders import Loader
from moto.core.serialize import BaseJSONSerializer

_generic = BaseJSONSerializer._serialize_type_structure
_load_data_with_path = Loader.load_data_with_path
_load_service_model = Loader.load_service_model
_loaded: dict[tuple, object] = {}


def _attribute_value_as_is(self, serialized, value, shape, key):
    if shape.name == "AttributeValue" and isinstance(value, dict) and not _has_bytes(value):
        self._default_serialize(serialized, value, shape, key)
        return
    _generic(self, serialized, value, shape, key)


def _has_bytes(value) -> bool:
    """Binary values take the generic path (it base64-encodes them)."""
    if isinstance(value, (bytes, bytearray)):
        return True
    if isinstance(value, dict):
        return any(_has_bytes(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_bytes(v) for v in value)
    return False


def _shared(method, kind: str):
    def load(self, *args, **kwargs):
        key = (kind, tuple(self.search_paths), args, tuple(sorted(kwargs.items())))
        if key not in _loaded:
            _loaded[key] = method(self, *args, **kwargs)
        return _loaded[key]
    return load


def speed_up_aws_doubles() -> None:
    BaseJSONSerializer._serialize_type_structure = _attribute_value_as_is
    Loader.load_data_with_path = _shared(_load_data_with_path, "data")
    Loader.load_service_model = _shared(_load_service_model, "model")
