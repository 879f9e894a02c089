#!/usr/bin/python3
"""python-fido2 (Yubico, Debian's python3-fido2) as the CTAP2 platform in front of simkey's CTAP 2.1 key.

Run by TestCTAP21KeyAgainstPythonFido2: each CTAPHID command goes to the Go test on stdout as one line
"<cmd hex> <payload hex>", and its answer comes back on stdin as "<payload hex>" or "error <code hex>". For PIN
protocols 1 and 2 this checks, with python-fido2's own code: getPINRetries, a wrong PIN (PIN_INVALID, retries
down by one), a pinUvAuthToken from the right PIN with permissions, makeCredential with the token (packed self
attestation verified, UP and UV set), getAssertion with the token (signature verified with the credential's
COSE key, counter increased), and python-fido2's strict canonical-CBOR check on every answer. Prints "ok
protocol N" on stderr per protocol.
"""
import hashlib
import sys

from fido2.ctap import CtapDevice, CtapError
from fido2.ctap2 import Ctap2, ClientPin, PinProtocolV1, PinProtocolV2
from fido2.attestation import PackedAttestation
from fido2.cose import CoseKey

PIN = sys.argv[1]


class PipeDevice(CtapDevice):
    """A CtapDevice whose transport is the Go test's CTAPHID connection."""

    capabilities = 0x04 | 0x08  # CBOR, NMSG: read from INIT by the Go side, which checks them

    def call(self, cmd, data=b"", event=None, on_keepalive=None):
        sys.stdout.write("%02x %s\n" % (cmd, bytes(data).hex()))
        sys.stdout.flush()
        line = sys.stdin.readline().strip()
        if line.startswith("error "):
            raise CtapError(int(line[6:], 16))
        return bytes.fromhex(line)

    @classmethod
    def list_devices(cls):
        return iter(())


def check(cond, what):
    if not cond:
        raise SystemExit("FAIL: " + what)


ctap = Ctap2(PipeDevice())  # strict_cbor: every answer must be canonical CTAP2 CBOR
check("clientPin" in ctap.info.options and ctap.info.options["clientPin"], "clientPin set in getInfo")
check(set(ctap.info.pin_uv_protocols) == {1, 2}, "both PIN protocols offered")

for proto in (PinProtocolV1(), PinProtocolV2()):
    n = proto.VERSION
    rp_id = "proto%d.example.com" % n
    cp = ClientPin(ctap, proto)
    retries = cp.get_pin_retries()[0]
    perms = ClientPin.PERMISSION.MAKE_CREDENTIAL | ClientPin.PERMISSION.GET_ASSERTION
    try:
        cp.get_pin_token("0000", perms, rp_id)
        raise SystemExit("FAIL: protocol %d: a wrong PIN gave a token" % n)
    except CtapError as e:
        check(e.code == CtapError.ERR.PIN_INVALID, "protocol %d: wrong PIN -> %s" % (n, e))
    check(cp.get_pin_retries()[0] == retries - 1, "protocol %d: retries after a wrong PIN" % n)

    token = cp.get_pin_token(PIN, perms, rp_id)
    check(cp.get_pin_retries()[0] == retries, "protocol %d: retries reset by the right PIN" % n)

    cdh = hashlib.sha256(b"make credential, protocol %d" % n).digest()
    att = ctap.make_credential(cdh, {"id": rp_id, "name": "Example"}, {"id": b"user-1", "name": "ann"},
                               [{"type": "public-key", "alg": -7}],
                               pin_uv_param=proto.authenticate(token, cdh), pin_uv_protocol=n)
    check(att.fmt == "packed", "protocol %d: fmt %s" % (n, att.fmt))
    PackedAttestation().verify(att.att_statement, att.auth_data, cdh)  # raises on a bad signature
    ad = att.auth_data
    check(ad.rp_id_hash == hashlib.sha256(rp_id.encode()).digest(), "protocol %d: rpIdHash" % n)
    check(ad.is_user_present() and ad.is_user_verified(), "protocol %d: makeCredential flags %02x" % (n, ad.flags))
    cred = ad.credential_data
    key = CoseKey.parse(cred.public_key)

    cdh2 = hashlib.sha256(b"get assertion, protocol %d" % n).digest()
    token = cp.get_pin_token(PIN, ClientPin.PERMISSION.GET_ASSERTION, rp_id)
    resp = ctap.get_assertion(rp_id, cdh2, [{"type": "public-key", "id": cred.credential_id}],
                              pin_uv_param=proto.authenticate(token, cdh2), pin_uv_protocol=n)
    resp.verify(cdh2, key)  # raises on a bad signature
    check(resp.auth_data.is_user_verified(), "protocol %d: getAssertion UV" % n)
    check(resp.auth_data.counter > ad.counter, "protocol %d: counter" % n)
    try:  # the token is scoped to getAssertion only
        ctap.make_credential(cdh, {"id": rp_id}, {"id": b"user-2"}, [{"type": "public-key", "alg": -7}],
                             pin_uv_param=proto.authenticate(token, cdh), pin_uv_protocol=n)
        raise SystemExit("FAIL: protocol %d: a getAssertion token made a credential" % n)
    except CtapError as e:
        check(e.code == CtapError.ERR.UNAUTHORIZED_PERMISSION, "protocol %d: permission -> %s" % (n, e))
    sys.stderr.write("ok protocol %d\n" % n)
