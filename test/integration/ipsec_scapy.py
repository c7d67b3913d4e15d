#!/usr/bin/python3
"""An independent ESP/AH implementation (scapy + python3-cryptography) for the
integration tests: it checks what ipsecgw puts on the wire and plays a peer.

  ipsec_scapy.py wire PCAP --sa SPEC... [--expect CHAIN...]
      Decrypts and verifies every ESP/AH packet of a capture (fragments are
      reassembled first) with the SAs given, unwrapping nested SAs, and prints
      one line per distinct result ("chain"), e.g.
          6 esp/1000 icmp 198.18.1.2>198.18.2.2 echo-request
          2 esp/2000 esp/1000 icmp 198.18.1.2>198.18.2.2 echo-request
      Exit 0 when no ESP/AH packet failed (unknown SPI, bad ICV, bad padding)
      and every --expect CHAIN (a prefix of a line, count excluded) was seen.

  ipsec_scapy.py peer --iface IF --my-ip A --gw-ip B --out SPEC --in SPEC
                      [--inner-src X --inner-dst Y] [--count N] [--warmup N]
                      [--plain | --corrupt] [--expect-none] [--seq N] [--state FILE]
      Plays the far end of an SA with gateway B from address A on interface IF
      (answering ARP for A): sends ICMP echo requests protected with the --out
      SA (transport: to B itself; tunnel: from X to Y inside the tunnel) and
      expects each echo reply protected with the --in SA, which it verifies
      and decrypts. --warmup N: up to N extra requests until the first reply
      (ARP on the far side). --plain: send the request unprotected;
      --corrupt: send it with a broken ICV; --expect-none: any answer at all
      is a failure (with --plain, --corrupt, or a replayed --seq N).
      --state FILE keeps the next sequence number per SPI across runs, so the
      gateway's replay window never sees a number twice.

  ipsec_scapy.py peer ... --batch FILE [--count N] [--warmup N]
      Several exchanges in one run (scapy starts slowly): FILE has one case per
      line, DESCRIPTION<TAB>SHELL COMMAND<TAB>OUT SPEC<TAB>IN SPEC; the command
      (e.g. ipsecctl manual-sa set ...) runs before the case's exchange. Prints
      "case ok: DESCRIPTION" or "case FAIL: DESCRIPTION" for each.

SPEC is PROTO:SPI:ENC:ENC_KEY:AUTH:AUTH_KEY:MODE with ipsecgw's names, e.g.
esp:0x1000:aes-128-cbc:00112233445566778899aabbccddeeff:sha1:0102...14:tunnel
or ah:0x1000:null::sha1:0102...14:transport (hex keys, "" when none).
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
import warnings

warnings.filterwarnings("ignore")
from scapy.all import (ARP, ICMP, IP, Ether, AsyncSniffer, Raw, conf,  # noqa: E402
                       defragment, get_if_hwaddr, rdpcap, sendp, srp1)
from scapy.layers.ipsec import AH, ESP, SecurityAssociation  # noqa: E402

conf.verb = 0

ENC = {
    "null": "NULL", "des": "DES", "3des": "3DES",
    "aes-128-cbc": "AES-CBC", "aes-192-cbc": "AES-CBC", "aes-256-cbc": "AES-CBC",
    "aes-128-ctr": "AES-CTR", "aes-192-ctr": "AES-CTR", "aes-256-ctr": "AES-CTR",
    "aes-128-gcm": "AES-GCM", "aes-192-gcm": "AES-GCM", "aes-256-gcm": "AES-GCM",
    "chacha20poly1305": "CHACHA20-POLY1305",
}
AUTH = {
    "null": "NULL", "md5": "HMAC-MD5-96", "sha1": "HMAC-SHA1-96",
    "sha256": "SHA2-256-128", "sha384": "SHA2-384-192", "sha512": "SHA2-512-256",
}


class Spec:
    def __init__(self, text, src=None, dst=None):
        f = text.split(":")
        if len(f) != 7:
            raise SystemExit("bad SA spec %r: want PROTO:SPI:ENC:KEY:AUTH:KEY:MODE" % text)
        self.text = text
        self.proto = f[0]
        self.spi = int(f[1], 16)
        self.enc, self.enc_key = f[2] or "null", bytes.fromhex(f[3])
        self.auth, self.auth_key = f[4] or "null", bytes.fromhex(f[5])
        self.tunnel = f[6] == "tunnel"
        self.src, self.dst = src, dst

    def sa(self):
        th = IP(src=self.src or "0.0.0.0", dst=self.dst or "0.0.0.0") if self.tunnel else None
        if self.proto == "ah":
            return SecurityAssociation(AH, spi=self.spi, auth_algo=AUTH[self.auth],
                                       auth_key=self.auth_key, tunnel_header=th)
        return SecurityAssociation(ESP, spi=self.spi, crypt_algo=ENC[self.enc],
                                   crypt_key=self.enc_key, auth_algo=AUTH[self.auth],
                                   auth_key=self.auth_key or None, tunnel_header=th)


def ipsec_layer(ip):
    if ip.haslayer(ESP) and ip.proto == 50:
        return "esp", ip[ESP].spi
    if ip.haslayer(AH) and ip.proto == 51:
        return "ah", ip[AH].spi
    return None, None


def describe(p):
    """What is left after unwrapping: 'icmp SRC>DST echo-request' and so on."""
    if isinstance(p, IP):
        if p.haslayer(ICMP) and p.proto == 1:
            t = {0: "echo-reply", 8: "echo-request", 3: "unreachable"}.get(p[ICMP].type, "type%d" % p[ICMP].type)
            return "icmp %s>%s %s" % (p.src, p.dst, t)
        return "ip proto %d %s>%s" % (p.proto, p.src, p.dst)
    if isinstance(p, ICMP):
        return "icmp %s" % {0: "echo-reply", 8: "echo-request"}.get(p.type, "type%d" % p.type)
    return p.__class__.__name__.lower()


def as_ip(spec, dec):
    """scapy leaves what follows AH as Raw (a tunnel's inner packet, or the
    transport payload): parse the result again as IPv4."""
    if spec.tunnel or isinstance(dec, IP):
        return IP(bytes(dec))
    return dec


def unwrap(ip, sas, depth=0):
    """Returns (chain, ok): chain like 'esp/2000 esp/1000 icmp ...'."""
    proto, spi = ipsec_layer(ip)
    if proto is None or depth > 4:
        return describe(ip), True
    key = (proto, spi)
    if key not in sas:
        return "%s/%x unknown-spi" % key, False
    try:
        inner = as_ip(sas[key], sas[key].sa().decrypt(ip.copy()))
    except Exception as e:  # ICV, padding, anything
        return "%s/%x %s: %s" % (proto, spi, type(e).__name__, e), False
    here = "%s/%x" % key
    if isinstance(inner, IP):
        rest, ok = unwrap(IP(bytes(inner)), sas, depth + 1)
        return here + " " + rest, ok
    # transport mode: scapy returns the IP header with the payload restored
    return here + " " + describe(inner), True


def cmd_wire(a):
    sas = {}
    for t in a.sa:
        s = Spec(t)
        sas[(s.proto, s.spi)] = s
    pkts = [p[IP] for p in rdpcap(a.pcap) if IP in p]
    whole = defragment(pkts)
    counts, bad = {}, 0
    for ip in whole:
        if ip.proto not in (50, 51):
            continue
        chain, ok = unwrap(IP(bytes(ip)), sas)
        counts[chain] = counts.get(chain, 0) + 1
        bad += 0 if ok else 1
    for chain, n in sorted(counts.items()):
        print("%5d %s" % (n, chain))
    if not counts:
        print("    0 ESP/AH packets in the capture")
    missing = [e for e in a.expect if not any(c.startswith(e) for c in counts)]
    for e in missing:
        print("missing: %s" % e)
    if bad:
        print("%d ESP/AH packets did not verify/decrypt" % bad)
    return 0 if not bad and not missing and counts else 1


def load_state(path):
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return {}


class Peer:
    """Our end of the link: a sniffer that answers ARP for our address and
    keeps what the gateway sends, and the gateway's MAC."""

    def __init__(self, a):
        self.a = a
        self.mymac = get_if_hwaddr(a.iface)
        self.got, self.lock = [], threading.Lock()
        self.state = load_state(a.state) if a.state else {}
        self.sn = AsyncSniffer(iface=a.iface, prn=self.on_frame, store=False,
                               filter="arp or (ip and src host %s)" % a.gw_ip)
        self.sn.start()
        time.sleep(0.3)
        self.gwmac = None

    def on_frame(self, f):
        a = self.a
        if ARP in f and f[ARP].op == 1 and f[ARP].pdst == a.my_ip:
            sendp(Ether(src=self.mymac, dst=f[ARP].hwsrc) /
                  ARP(op=2, hwsrc=self.mymac, psrc=a.my_ip, hwdst=f[ARP].hwsrc, pdst=f[ARP].psrc),
                  iface=a.iface)
        elif IP in f:
            with self.lock:
                self.got.append(f[IP])

    def resolve(self):
        # An ARP request for the gateway's address: the answer gives its MAC,
        # and the gateway learns ours from it (RFC 826, target is its own).
        for _ in range(5):
            r = srp1(Ether(dst="ff:ff:ff:ff:ff:ff", src=self.mymac) /
                     ARP(op=1, hwsrc=self.mymac, psrc=self.a.my_ip, pdst=self.a.gw_ip),
                     iface=self.a.iface, timeout=1)
            if r is not None:
                self.gwmac = r[ARP].hwsrc
                return True
        print("peer: no ARP reply from %s" % self.a.gw_ip)
        return False

    def close(self):
        self.sn.stop()
        if self.a.state:
            json.dump(self.state, open(self.a.state, "w"))

    def exchange(self, out_text, in_text, count, warmup=0, plain=False, corrupt=False,
                 expect_none=False, first_seq=None):
        """count echo requests; True when each got what was expected."""
        a = self.a
        out = Spec(out_text, a.my_ip, a.gw_ip)
        inn = Spec(in_text, a.gw_ip, a.my_ip)
        sa_out, sa_in = out.sa(), inn.sa()
        skey = "%s/%x" % (out.proto, out.spi)
        sa_out.seq_num = first_seq if first_seq else self.state.get(skey, 1)
        if out.tunnel:
            isrc, idst = a.inner_src, a.inner_dst
        else:
            isrc, idst = a.my_ip, a.gw_ip
        ident = (os.getpid() + out.spi) & 0xffff
        ok = sent = seq = 0
        failures = []
        need, warm = count, warmup
        while need > 0:
            seq += 1
            req = IP(src=isrc, dst=idst, ttl=64) / ICMP(type=8, id=ident, seq=seq) / Raw(b"ipsecgw-test-%04d" % seq * 3)
            if plain:
                wire = req
            else:
                wire = sa_out.encrypt(req)
                if corrupt:
                    b = bytearray(bytes(wire))
                    b[-1] ^= 0x5a
                    wire = IP(bytes(b))
            with self.lock:
                del self.got[:]
            sendp(Ether(src=self.mymac, dst=self.gwmac) / wire, iface=a.iface)
            sent += 1
            reply = None
            deadline = time.time() + a.wait
            while time.time() < deadline and reply is None:
                time.sleep(0.05)
                with self.lock:
                    pk = list(self.got)
                for ip in pk:
                    proto, spi = ipsec_layer(ip)
                    if expect_none:
                        reply = ip  # any answer at all is wrong
                        break
                    if proto != inn.proto or spi != inn.spi:
                        failures.append("unexpected from gateway: %s" % ip.summary())
                        continue
                    try:
                        reply = as_ip(inn, sa_in.decrypt(ip.copy()))
                    except Exception as e:
                        failures.append("reply did not verify/decrypt: %s: %s" % (type(e).__name__, e))
                        continue
                    break
            if expect_none:
                if reply is None:
                    kind = "plain" if plain else "bad ICV" if corrupt else "seq %d" % (sa_out.seq_num - 1)
                    print("peer: request %d (%s) got no answer, as expected" % (seq, kind))
                    ok += 1
                else:
                    print("peer: request %d got an answer, none expected: %s" % (seq, reply.summary()))
                need -= 1
                continue
            if reply is None:
                if warm > 0 and ok == 0:
                    warm -= 1
                    print("peer: request %d: no reply yet (warm-up)" % seq)
                    continue
                print("peer: request %d: no reply" % seq)
                need -= 1
                continue
            if not isinstance(reply, IP) or ICMP not in reply:
                print("peer: request %d: reply decrypted to %r" % (seq, reply))
                need -= 1
                continue
            ic = reply[ICMP]
            good = (ic.type == 0 and ic.id == ident and ic.seq == seq and
                    reply.src == idst and reply.dst == isrc)
            print("peer: request %d: %s reply %s>%s icmp type %d id %d seq %d" %
                  (seq, "good" if good else "WRONG", reply.src, reply.dst, ic.type, ic.id, ic.seq))
            ok += 1 if good else 0
            need -= 1
        for f in sorted(set(failures))[:10]:
            print("peer: %s" % f)
        print("peer: %d sent, %d as expected out of %d" % (sent, ok, count))
        if not first_seq:
            self.state[skey] = sa_out.seq_num
        return ok == count


def cmd_peer(a):
    peer = Peer(a)
    try:
        if not peer.resolve():
            return 1
        if not a.batch:
            return 0 if peer.exchange(a.out, a.in_, a.count, a.warmup, a.plain, a.corrupt,
                                      a.expect_none, a.seq) else 1
        # One case per line: DESCRIPTION<TAB>SHELL COMMAND<TAB>OUT SPEC<TAB>IN SPEC.
        # The command (e.g. ipsecctl manual-sa set ...) runs first; the result
        # of each case is one line "case ok: ..." or "case FAIL: ...".
        bad = 0
        for line in open(a.batch):
            if not line.strip():
                continue
            desc, cmd, out, inn = line.rstrip("\n").split("\t")
            print("peer: -- %s" % desc)
            if cmd:
                r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
                if r.returncode != 0:
                    print("case FAIL: %s: %s refused: %s" % (desc, cmd, (r.stdout + r.stderr).strip()))
                    bad += 1
                    continue
            good = peer.exchange(out, inn, a.count, a.warmup)
            print("case %s: %s" % ("ok" if good else "FAIL", desc))
            bad += 0 if good else 1
        return 1 if bad else 0
    finally:
        peer.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wire")
    w.add_argument("pcap")
    w.add_argument("--sa", action="append", default=[])
    w.add_argument("--expect", action="append", default=[])
    p = sub.add_parser("peer")
    p.add_argument("--iface", required=True)
    p.add_argument("--my-ip", required=True)
    p.add_argument("--gw-ip", required=True)
    p.add_argument("--out")
    p.add_argument("--in", dest="in_")
    p.add_argument("--batch", help="cases, one per line: DESC<TAB>CMD<TAB>OUT<TAB>IN")
    p.add_argument("--inner-src")
    p.add_argument("--inner-dst")
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--wait", type=float, default=2.0)
    p.add_argument("--plain", action="store_true")
    p.add_argument("--corrupt", action="store_true")
    p.add_argument("--expect-none", action="store_true")
    p.add_argument("--seq", type=int, help="first ESP/AH sequence number (overrides --state)")
    p.add_argument("--state")
    a = ap.parse_args()
    return cmd_wire(a) if a.cmd == "wire" else cmd_peer(a)


if __name__ == "__main__":
    sys.exit(main())
