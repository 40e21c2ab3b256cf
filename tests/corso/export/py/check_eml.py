"""Parses an .eml with Python's email package (policy=default) and prints a JSON summary:
headers as the parser decodes them, parser defects, and the MIME tree with decoded payload
digests, so the TypeScript test can compare against the Graph JSON it started from."""
import email
import hashlib
import json
import sys
from email import policy


def addrs(msg, name):
    h = msg[name]
    if h is None:
        return None
    return [[a.display_name, a.addr_spec] for a in h.addresses]


def part_summary(part):
    out = {
        "content_type": part.get_content_type(),
        "params": {k: v for k, v in part.get_params(header="content-type")[1:]} if part.get_params() else {},
        "disposition": part.get_content_disposition(),
        "filename": part.get_filename(),
        "content_id": part["Content-ID"],
        "defects": [type(d).__name__ for d in part.defects],
    }
    if part.get_content_type() == "message/rfc822":
        out["nested"] = message_summary(part.get_payload()[0])
    elif part.is_multipart():
        out["parts"] = [part_summary(p) for p in part.iter_parts()]
    else:
        data = part.get_payload(decode=True) or b""
        out["sha256"] = hashlib.sha256(data).hexdigest()
        out["size"] = len(data)
        if part.get_content_maintype() == "text":
            out["text"] = part.get_content()
    return out


def message_summary(msg):
    return {
        "from": addrs(msg, "From"),
        "to": addrs(msg, "To"),
        "cc": addrs(msg, "Cc"),
        "bcc": addrs(msg, "Bcc"),
        "reply_to": addrs(msg, "Reply-To"),
        "subject": msg["Subject"],
        "date": msg["Date"].datetime.isoformat() if msg["Date"] is not None else None,
        "message_id": msg["Message-ID"],
        "mime_version": msg["MIME-Version"],
        "header_defects": sorted({type(d).__name__ for k in msg.keys() for d in msg[k].defects}),
        "root": part_summary(msg),
    }


with open(sys.argv[1], "rb") as f:
    m = email.message_from_binary_file(f, policy=policy.default)
print(json.dumps(message_summary(m)))
