"""Parses a .vcf with vobject and prints every property as JSON: value (structured values as
their components) and parameters."""
import json
import sys

import vobject


def val(c):
    v = c.value
    if isinstance(v, vobject.vcard.Name):
        return {"family": v.family, "given": v.given, "additional": v.additional, "prefix": v.prefix, "suffix": v.suffix}
    if isinstance(v, vobject.vcard.Address):
        return {"street": v.street, "city": v.city, "region": v.region, "code": v.code, "country": v.country}
    return v


with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
card = vobject.readOne(text)
out = {}
for c in card.getChildren():
    out.setdefault(c.name, []).append({"value": val(c), "params": {k: v for k, v in c.params.items()}})
print(json.dumps(out, default=str))
