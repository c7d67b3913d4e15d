#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Cross-implementation vectors for ipsecgw's ESP and AH, made and checked by
scapy's IPsec layer (scapy.layers.ipsec.SecurityAssociation, which computes
with python3-cryptography, i.e. OpenSSL).

    scapy_ipsec.py gen {esp|ah} CASES     write SAs, plain packets and the
                                          packets scapy encapsulated from them
    scapy_ipsec.py check CASES RESULTS    decapsulate ipsecgw's packets with
                                          scapy and compare with the plain ones

The unit tests test_esp / test_ah run both: ipsecgw decapsulates scapy's
packets (and must restore the plain bytes exactly), then encapsulates the
plain packets, which scapy must decapsulate back to the same bytes.

File format, one record per line, hex without spaces:
    case id=N proto=esp|ah|bundle mode=tunnel|transport enc=E auth=A ekey=H
         akey=H spi=H esn=0|1 seqhi=N ahauth=A ahkey=H ahspi=H src=IP dst=IP
    plain H        (in order; sequence numbers are 1, 2, ...)
    wire H
    gw ID INDEX H  (RESULTS: ipsecgw's packet for plain INDEX of case ID)

Where scapy 2.5 falls short it is completed with python3-cryptography
directly, and the script says so: scapy leaves the ESN high bits out of the
ESP HMAC (RFC 4303 2.2.1), so for ESN with a separate integrity algorithm
the ICV is computed here; and scapy cannot sign AH over ESP (ah_resign).
Verifying AH over ESP works in scapy and is left to it.
"""
import random
import struct
import sys

try:
    import scapy
    from scapy.config import conf
    conf.verb = 0
    from scapy.compat import raw
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.ipsec import AH, ESP, SecurityAssociation
    from scapy.packet import Raw
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import hmac as chmac
except ImportError as exc:  # loud, never a skip
    sys.exit("FAIL: %s cannot import scapy/cryptography (%s): install python3-scapy and "
             "python3-cryptography and use Debian's /usr/bin/python3" % (sys.executable, exc))

# ipsecgw name -> (scapy name, key bytes including salt/nonce)
ENC = {
    'null': ('NULL', 0),
    'des': ('DES', 8),
    '3des': ('3DES', 24),
    'aes-128-cbc': ('AES-CBC', 16),
    'aes-192-cbc': ('AES-CBC', 24),
    'aes-256-cbc': ('AES-CBC', 32),
    'aes-128-ctr': ('AES-CTR', 20),
    'aes-192-ctr': ('AES-CTR', 28),
    'aes-256-ctr': ('AES-CTR', 36),
    'aes-128-gcm': ('AES-GCM', 20),
    'aes-192-gcm': ('AES-GCM', 28),
    'aes-256-gcm': ('AES-GCM', 36),
    'chacha20-poly1305': ('CHACHA20-POLY1305', 36),
}
AEAD = {'aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm', 'chacha20-poly1305'}
# ipsecgw name -> (scapy name, key bytes, ICV bytes, hash)
AUTH = {
    'null': (None, 0, 0, None),
    'md5': ('HMAC-MD5-96', 16, 12, hashes.MD5),
    'sha1': ('HMAC-SHA1-96', 20, 12, hashes.SHA1),
    'sha256': ('SHA2-256-128', 32, 16, hashes.SHA256),
    'sha384': ('SHA2-384-192', 48, 24, hashes.SHA384),
    'sha512': ('SHA2-512-256', 64, 32, hashes.SHA512),
}
SA_SRC, SA_DST = '198.18.0.1', '198.19.0.1'
PAYLOADS = [0, 1, 5, 10, 15, 100, 1023, 1400]


def fail(msg):
    sys.exit('FAIL: ' + msg)


def esp_cases():
    combos = []
    for enc in ENC:
        for auth in AUTH:
            if enc in AEAD and auth != 'null':
                continue
            if enc == 'null' and auth == 'null':
                continue
            combos.append((enc, auth, 0))
    esn = [('aes-128-cbc', 'sha1'), ('3des', 'md5'), ('aes-256-ctr', 'sha512'),
           ('null', 'sha256'), ('aes-192-cbc', 'sha384'), ('des', 'sha1'),
           ('aes-128-gcm', 'null'), ('aes-192-gcm', 'null'), ('aes-256-gcm', 'null'),
           ('chacha20-poly1305', 'null'), ('aes-128-ctr', 'null')]
    combos += [(e, a, 1) for e, a in esn]
    for mode in ('tunnel', 'transport'):
        for enc, auth, e in combos:
            yield dict(proto='esp', mode=mode, enc=enc, auth=auth, esn=e, ahauth='null')


def ah_cases():
    for mode in ('tunnel', 'transport'):
        for auth in ('md5', 'sha1', 'sha256', 'sha384', 'sha512'):
            for e in (0, 1):
                yield dict(proto='ah', mode=mode, enc='null', auth=auth, esn=e, ahauth='null')
        # RouterOS's default ah-algorithm=null (the seed's AH example): no ICV.
        yield dict(proto='ah', mode=mode, enc='null', auth='null', esn=0, ahauth='null')
    # AH+ESP bundles (RFC 4301 4.5): ESP inside, AH transport outside.
    for mode, enc, auth, ahauth in (('tunnel', 'aes-128-cbc', 'sha1', 'sha256'),
                                    ('transport', 'aes-256-gcm', 'null', 'md5'),
                                    ('tunnel', 'chacha20-poly1305', 'null', 'sha512'),
                                    ('transport', '3des', 'sha384', 'sha1')):
        yield dict(proto='bundle', mode=mode, enc=enc, auth=auth, esn=0, ahauth=ahauth)


def make_plain(rng, case, i):
    """A plain packet: the inner packet (tunnel) or the SA endpoints' own (transport)."""
    n = PAYLOADS[i] + (case['id'] % 16)
    data = bytes(rng.randrange(256) for _ in range(n))
    if case['mode'] == 'tunnel':
        ip = IP(src='198.18.1.%d' % (1 + i), dst='198.19.1.%d' % (1 + i))
    else:
        ip = IP(src=SA_SRC, dst=SA_DST)
    ip.ttl = rng.randrange(1, 256)
    ip.id = rng.randrange(65536)
    ip.tos = rng.randrange(64) << 2  # DSCP only: ECN is left to its own test
    ip.flags = 'DF' if i % 2 else 0
    kind = i % 3
    if kind == 0:
        l4 = ICMP(type=8, id=rng.randrange(65536), seq=i)
    elif kind == 1:
        l4 = UDP(sport=rng.randrange(1024, 65536), dport=4789)
    else:
        l4 = TCP(sport=rng.randrange(1024, 65536), dport=443, flags='PA',
                 seq=rng.randrange(1 << 32))
    return IP(raw(ip / l4 / Raw(data)))


def esp_sa(case):
    return SecurityAssociation(
        ESP, spi=case['spi'], crypt_algo=ENC[case['enc']][0], crypt_key=case['ekey'] or None,
        auth_algo=AUTH[case['auth']][0], auth_key=case['akey'] or None,
        tunnel_header=IP(src=SA_SRC, dst=SA_DST) if case['mode'] == 'tunnel' else None,
        esn_en=bool(case['esn']), esn=case['seqhi'])


def ah_sa(case):
    if case['proto'] == 'bundle':
        return SecurityAssociation(AH, spi=case['ahspi'], auth_algo=AUTH[case['ahauth']][0],
                                   auth_key=case['ahkey'])
    return SecurityAssociation(
        AH, spi=case['spi'], auth_algo=AUTH[case['auth']][0], auth_key=case['akey'],
        tunnel_header=IP(src=SA_SRC, dst=SA_DST) if case['mode'] == 'tunnel' else None,
        esn_en=bool(case['esn']), esn=case['seqhi'])


def esn_hmac_needed(case):
    return case['proto'] == 'esp' and case['esn'] and case['enc'] not in AEAD \
        and case['auth'] != 'null'


def esp_icv(case, esp_bytes):
    """RFC 4303 2.2.1: HMAC over the ESP packet then the ESN high bits."""
    _, _, icv_len, hash_cls = AUTH[case['auth']]
    mac = chmac.HMAC(case['akey'], hash_cls())
    mac.update(esp_bytes + struct.pack('!L', case['seqhi']))
    return mac.finalize()[:icv_len]


def ah_resign(case, wire):
    """scapy's AuthAlgo.sign() looks for an ESP layer before an AH one, so
    over ESP it appends the MAC to the ESP data and leaves the AH ICV zero.
    Keep scapy's AH framing and compute the ICV as RFC 4302 3.3.3 says:
    HMAC over the IPv4 header with TOS, flags/offset, TTL and checksum
    zeroed, AH with the ICV zeroed, and the payload."""
    ip = IP(wire)
    b = bytearray(wire[:ip.len])  # drop the MAC scapy appended past the end
    hl = ip.ihl * 4
    _, _, icv_len, hash_cls = AUTH[case['ahauth']]
    z = bytearray(b)
    for i in (1, 6, 7, 8, 10, 11):
        z[i] = 0
    z[hl + 12:hl + 12 + icv_len] = bytes(icv_len)
    mac = chmac.HMAC(case['ahkey'], hash_cls())
    mac.update(bytes(z))
    b[hl + 12:hl + 12 + icv_len] = mac.finalize()[:icv_len]
    return bytes(b)


def encrypt(case, plain, seq):
    """scapy's packet for `plain` with sequence number `seq`."""
    if case['proto'] == 'ah':
        return raw(ah_sa(case).encrypt(plain, seq_num=seq))
    wire = esp_sa(case).encrypt(plain, seq_num=seq)
    if case['proto'] == 'bundle':
        return ah_resign(case, raw(ah_sa(case).encrypt(IP(raw(wire)), seq_num=seq)))
    wire = bytearray(raw(wire))
    if esn_hmac_needed(case):
        icv_len = AUTH[case['auth']][2]
        hl = (wire[0] & 15) * 4
        wire[-icv_len:] = esp_icv(case, bytes(wire[hl:-icv_len]))
    return bytes(wire)


def decrypt(case, wire):
    pkt = IP(wire)
    if case['proto'] == 'ah':
        return raw(ah_sa(case).decrypt(pkt))
    if case['proto'] == 'bundle':
        pkt = IP(raw(ah_sa(case).decrypt(pkt)))
    verify = True
    if esn_hmac_needed(case):
        icv_len = AUTH[case['auth']][2]
        hl = (wire[0] & 15) * 4
        if esp_icv(case, bytes(wire[hl:-icv_len])) != bytes(wire[-icv_len:]):
            raise ValueError('ESN ICV mismatch')
        verify = False
    return raw(esp_sa(case).decrypt(pkt, verify=verify))


def case_line(c):
    hx = lambda b: b.hex() if b else '-'
    return ('case id=%d proto=%s mode=%s enc=%s auth=%s ekey=%s akey=%s spi=%x esn=%d '
            'seqhi=%d ahauth=%s ahkey=%s ahspi=%x src=%s dst=%s' %
            (c['id'], c['proto'], c['mode'], c['enc'], c['auth'], hx(c['ekey']),
             hx(c['akey']), c['spi'], c['esn'], c['seqhi'], c['ahauth'], hx(c['ahkey']),
             c['ahspi'], SA_SRC, SA_DST))


def gen(kind, path):
    cases = list(esp_cases() if kind == 'esp' else ah_cases())
    out = []
    for cid, c in enumerate(cases):
        rng = random.Random(1000 + cid)
        c['id'] = cid
        c['spi'] = 0x1000 + cid
        c['ahspi'] = 0x2000 + cid
        c['ekey'] = bytes(rng.randrange(256) for _ in range(ENC[c['enc']][1]))
        c['akey'] = bytes(rng.randrange(256) for _ in range(AUTH[c['auth']][1]))
        c['ahkey'] = bytes(rng.randrange(256) for _ in range(AUTH[c['ahauth']][1]))
        c['seqhi'] = rng.randrange(1, 1 << 32) if c['esn'] else 0
        out.append(case_line(c))
        for i in range(len(PAYLOADS)):
            plain = make_plain(rng, c, i)
            out.append('plain ' + raw(plain).hex())
            out.append('wire ' + encrypt(c, plain, i + 1).hex())
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')
    print('scapy %s: %d %s cases, %d packets each' %
          (scapy.VERSION, len(cases), kind, len(PAYLOADS)))


def parse_cases(path):
    cases, cur = [], None
    for line in open(path):
        words = line.split()
        if not words:
            continue
        if words[0] == 'case':
            kv = dict(w.split('=', 1) for w in words[1:])
            unhex = lambda s: b'' if s == '-' else bytes.fromhex(s)
            cur = dict(id=int(kv['id']), proto=kv['proto'], mode=kv['mode'], enc=kv['enc'],
                       auth=kv['auth'], ekey=unhex(kv['ekey']), akey=unhex(kv['akey']),
                       spi=int(kv['spi'], 16), esn=int(kv['esn']), seqhi=int(kv['seqhi']),
                       ahauth=kv['ahauth'], ahkey=unhex(kv['ahkey']),
                       ahspi=int(kv['ahspi'], 16), plain=[])
            cases.append(cur)
        elif words[0] == 'plain':
            cur['plain'].append(bytes.fromhex(words[1]))
    return cases


def outer_checks(case, wire, seq):
    """What scapy does not look at: our outer header and sequence numbers."""
    ip = IP(wire)
    errs = []
    fixed = ip.copy()
    del fixed.chksum
    if IP(raw(fixed)).chksum != ip.chksum:
        errs.append('bad outer IPv4 checksum')
    if ip.len != len(wire):
        errs.append('outer total length %d != %d' % (ip.len, len(wire)))
    outer_proto = 51 if case['proto'] in ('ah', 'bundle') else 50
    if ip.proto != outer_proto:
        errs.append('outer protocol %d' % ip.proto)
    if case['mode'] == 'tunnel' and case['proto'] != 'bundle':
        if (ip.src, ip.dst, ip.ttl) != (SA_SRC, SA_DST, 64):
            errs.append('tunnel header %s > %s ttl %d' % (ip.src, ip.dst, ip.ttl))
    layer = ip[AH] if outer_proto == 51 else ip[ESP]
    if layer.seq != (seq & 0xffffffff):
        errs.append('sequence number %d, expected %d' % (layer.seq, seq))
    return errs


def check(cases_path, results_path):
    cases = {c['id']: c for c in parse_cases(cases_path)}
    expected = sum(len(c['plain']) for c in cases.values())
    seen, bad = set(), 0
    for line in open(results_path):
        words = line.split()
        if not words or words[0] != 'gw':
            continue
        cid, idx, wire = int(words[1]), int(words[2]), bytes.fromhex(words[3])
        case = cases[cid]
        seen.add((cid, idx))
        what = '%s %s %s/%s%s' % (case['proto'], case['mode'], case['enc'], case['auth'],
                                  ' esn' if case['esn'] else '')
        try:
            errs = outer_checks(case, wire, idx + 1)
            got = decrypt(case, wire)
            if got != case['plain'][idx]:
                errs.append('decapsulated packet differs:\n   got  %s\n   want %s' %
                            (got.hex(), case['plain'][idx].hex()))
        except Exception as exc:  # scapy raises on a bad ICV or tag
            errs = ['scapy: %s: %s' % (type(exc).__name__, exc)]
        if errs:
            bad += 1
            print('case %d packet %d (%s): %s' % (cid, idx, what, '; '.join(errs)))
    if len(seen) != expected:
        print('only %d of %d packets came back from ipsecgw' % (len(seen), expected))
        bad += 1
    print('scapy check: %d packets, %d bad' % (len(seen), bad))
    return 1 if bad else 0


def main(argv):
    if len(argv) == 4 and argv[1] == 'gen' and argv[2] in ('esp', 'ah'):
        gen(argv[2], argv[3])
        return 0
    if len(argv) == 4 and argv[1] == 'check':
        return check(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
