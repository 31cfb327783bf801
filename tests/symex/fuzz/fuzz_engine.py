#!/usr/bin/env python3
"""Engine fuzzing for dsu symex: random small C programs with symbolic inputs.

Each program (one per seed, so a failure is reproducible from its seed) is
made of unsigned arithmetic over a few symbolic input bytes, branches, small
loops, arrays on the stack and the heap indexed by input-dependent values,
calls, divisions and assertions. The engine must never crash, and what it
says must be true:

  * `dsu symex` ends with a verdict (exit status 0 holds, 1 error, 2
    unknown), never a crash, a hang past its time limit, or a tool failure;
  * every error test case it writes reproduces under `dsu replay`;
  * where it says `holds`, the same program compiled natively with
    AddressSanitizer and UBSan runs without a failure on random inputs and
    on the all-0 and all-0xff inputs (an error there that symex missed is
    unsound).

The programs avoid what the two sides judge differently: no signed
arithmetic (overflow), shift amounts masked, indexes at most a few elements
past an array (inside AddressSanitizer's red zones).

usage: fuzz_engine.py DRIVER OUTDIR [--seeds A-B] [--native-runs N]
DRIVER is dsu-symex-driver (or a `dsu` binary: both take `symex` and
`replay`). Prints one line per program and a summary; exits 1 on any
finding, leaving the program and logs in OUTDIR/seed-N.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys

SHIM = r"""/* Native stand-in for <klee/klee.h>: symbolic bytes come from the
 * DSU_FUZZ_INPUT environment variable (hex), repeated as needed. */
#ifndef FUZZ_KLEE_SHIM_H
#define FUZZ_KLEE_SHIM_H
#include <stdlib.h>
static unsigned fuzz_next_byte(void) {
  static const char *in;
  static size_t at;
  if (!in) {
    in = getenv("DSU_FUZZ_INPUT");
    if (!in || !*in)
      in = "00";
  }
  if (!in[at] || !in[at + 1])
    at = 0;
  char b[3] = {in[at], in[at + 1], 0};
  at += 2;
  return (unsigned)strtoul(b, 0, 16);
}
static void klee_make_symbolic(void *p, size_t n, const char *name) {
  (void)name;
  for (size_t i = 0; i < n; i++)
    ((unsigned char *)p)[i] = (unsigned char)fuzz_next_byte();
}
static void klee_assume(unsigned long c) {
  if (!c)
    exit(0); /* not a path the symbolic run explores */
}
#endif
"""


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.inputs = self.r.randint(2, 5)
        self.vars = ["v%d" % i for i in range(self.r.randint(2, 4))]
        self.depth = 0
        self.loops = 0
        self.lines = []

    def atom(self):
        c = self.r.random()
        if c < 0.4:
            return "in[%d]" % self.r.randrange(self.inputs)
        if c < 0.75:
            return self.r.choice(self.vars)
        return "%du" % self.r.choice([0, 1, 2, 3, 7, 10, 16, 100, 255, 256, 1000])

    def expr(self, d=0):
        if d > 2 or self.r.random() < 0.35:
            return self.atom()
        a, b = self.expr(d + 1), self.expr(d + 1)
        op = self.r.choice(["+", "-", "*", "^", "&", "|", "<<", ">>", "/", "%",
                            "call"])
        if op in ("<<", ">>"):
            return "(%s %s (%s & 7u))" % (a, op, b)
        if op in ("/", "%"):
            if self.r.random() < 0.97:  # guarded: no division by zero
                return "(%s %s (%s ? %s : 1u))" % (a, op, b, b)
            return "(%s %s %s)" % (a, op, b)
        if op == "call":
            return "mix(%s, %s)" % (a, b)
        return "(%s %s %s)" % (a, op, b)

    def cond(self):
        op = self.r.choice(["==", "!=", "<", ">", "<=", ">="])
        return "%s %s %s" % (self.expr(1), op, self.expr(1))

    def claim(self):
        """An assertion: mostly true on every input (a false alarm would not
        replay), sometimes one that some inputs may break."""
        a, b = self.expr(1), self.expr(1)
        x = self.r.random()
        if x < 0.05:
            return self.cond()
        if x < 0.2:
            return "%s != %du" % (a, self.r.randrange(1 << 16))
        return self.r.choice([
            "(%s & 7u) < 8u" % a,
            "(%s) %% 10u < 10u" % a,
            "(%s ^ %s) == (%s ^ %s)" % (a, b, b, a),
            "mix(%s, %s) != 0u || %s <= %s" % (a, b, a, b),
            "(%s) + 0u == (%s)" % (a, a),
        ])

    def emit(self, text):
        self.lines.append("  " * (self.depth + 1) + text)

    def stmt(self):
        c = self.r.random()
        if c < 0.3 or self.depth >= 3:
            self.emit("%s = %s;" % (self.r.choice(self.vars), self.expr()))
        elif c < 0.5:
            self.emit("if (%s) {" % self.cond())
            self.block()
            if self.r.random() < 0.5:
                self.emit("} else {")
                self.block()
            self.emit("}")
        elif c < 0.6 and self.loops < 2:
            self.loops += 1
            i = "i%d" % self.loops
            self.emit("for (unsigned %s = 0; %s < (in[%d] & 3u); %s++) {" %
                      (i, i, self.r.randrange(self.inputs), i))
            self.block()
            self.emit("}")
        elif c < 0.72:
            # An index at most 6 past the end of arr[10]: out of bounds on
            # some inputs, within the red zones.
            mask = self.r.choice(["% 10u"] * 4 + ["& 15u"])
            self.emit("arr[(%s) %s] = %s;" % (self.expr(1), mask, self.expr(1)))
        elif c < 0.8:
            self.emit("%s += arr[(%s) %% 10u];" % (self.r.choice(self.vars),
                                                   self.expr(1)))
        elif c < 0.88:
            n = "(in[%d] & 3u) + 1u" % self.r.randrange(self.inputs)
            idx = self.r.choice(["% n", "% n", "& 3u"])
            self.emit("{")
            self.depth += 1
            self.emit("unsigned n = %s;" % n)
            self.emit("unsigned *p = malloc(n * sizeof *p);")
            self.emit("if (!p) return 0;")
            self.emit("for (unsigned k = 0; k < n; k++) p[k] = k + %s;" %
                      self.atom())
            self.emit("%s ^= p[(%s) %s];" % (self.r.choice(self.vars),
                                             self.expr(1), idx))
            self.emit("free(p);")
            self.depth -= 1
            self.emit("}")
        else:
            self.emit("assert(%s);" % self.claim())

    def block(self):
        self.depth += 1
        for _ in range(self.r.randint(1, 3)):
            self.stmt()
        self.depth -= 1

    def program(self, seed):
        for _ in range(self.r.randint(3, 7)):
            self.stmt()
        body = "\n".join(self.lines)
        inits = "\n".join("  unsigned %s = in[%d];" %
                          (v, i % self.inputs) for i, v in enumerate(self.vars))
        return f"""/* Generated by tests/symex/fuzz/fuzz_engine.py, seed {seed}. */
#include <assert.h>
#include <stdlib.h>
#include <klee/klee.h>

static unsigned mix(unsigned a, unsigned b) {{
  if (a > b)
    return a - b;
  return (b ^ a) + 1u;
}}

int main(void) {{
  unsigned char in[{self.inputs}];
  unsigned arr[10] = {{0}};
  klee_make_symbolic(in, sizeof in, "in");
{inits}
{body}
  return (int)(({' + '.join(self.vars)}) & 0u);
}}
"""


def run(cmd, timeout, env=None, stdout_only=False):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout, env=env)
        return p.returncode, p.stdout if stdout_only else p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"") + (e.stderr or b"")
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return None, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("driver")
    ap.add_argument("outdir")
    ap.add_argument("--seeds", default="1-12")
    ap.add_argument("--native-runs", type=int, default=24)
    ap.add_argument("--clang", default=os.environ.get("DSU_CLANG", "clang-19"))
    ap.add_argument("--max-time", type=float, default=10.0)
    a = ap.parse_args()
    lo, hi = (int(x) for x in a.seeds.split("-"))
    shutil.rmtree(a.outdir, ignore_errors=True)
    shim = os.path.join(a.outdir, "shim", "klee")
    os.makedirs(shim)
    with open(os.path.join(shim, "klee.h"), "w") as f:
        f.write(SHIM)
    verdicts = {"holds": 0, "error": 0, "unknown": 0}
    findings = 0
    for seed in range(lo, hi + 1):
        d = os.path.join(a.outdir, "seed-%d" % seed)
        os.makedirs(d)
        gen = Gen(seed)
        src = os.path.join(d, "prog.c")
        with open(src, "w") as f:
            f.write(gen.program(seed))
        status, out = run([a.driver, "symex", "--quiet", "--max-time",
                           str(a.max_time), "--max-loop-iterations", "8",
                           "--output-dir", os.path.join(d, "cases"), src],
                          a.max_time + 60, stdout_only=True)
        with open(os.path.join(d, "symex.log"), "w") as f:
            f.write(out)
        last = out.strip().splitlines()[-1] if out.strip() else ""
        problem = None
        if status is None:
            problem = "symex ran past its time limit"
        elif status not in (0, 1, 2) or not last.startswith("verdict: "):
            problem = "symex ended without a verdict (status %s)" % status
        verdict = last[len("verdict: "):].split(" ")[0] if not problem else "-"
        if not problem and verdict == "error":
            cases = sorted(os.listdir(os.path.join(d, "cases")))
            cases = [c for c in cases if c.startswith("error-")]
            if not cases:
                problem = "error without a test case"
            for c in cases:
                rs, rout = run([a.driver, "replay",
                                os.path.join(d, "cases", c), src], 120)
                if rs != 1:
                    problem = "%s did not reproduce: %s" % (c, rout.strip()[-300:])
                    break
        if not problem and verdict == "holds":
            exe = os.path.join(d, "native")
            rs, cout = run([a.clang, "-g", "-O0", "-I", os.path.dirname(shim),
                            "-fsanitize=address,undefined",
                            "-fno-sanitize-recover=all", src, "-o", exe], 120)
            if rs != 0:
                problem = "native build failed: " + cout[-300:]
            else:
                r = random.Random(seed * 7919)
                inputs = ["00" * gen.inputs, "ff" * gen.inputs]
                inputs += ["".join("%02x" % r.randrange(256)
                                   for _ in range(gen.inputs))
                           for _ in range(a.native_runs)]
                for inp in inputs:
                    env = dict(os.environ, DSU_FUZZ_INPUT=inp)
                    rs, nout = run([exe], 30, env)
                    if rs != 0:
                        problem = ("symex said holds, but input %s fails "
                                   "natively: %s" % (inp, nout.strip()[-300:]))
                        break
        if problem:
            findings += 1
            print("seed %d: FINDING: %s (kept in %s)" % (seed, problem, d))
        else:
            verdicts[verdict] += 1
            print("seed %d: %s" % (seed, verdict))
            shutil.rmtree(d)
    n = hi - lo + 1
    print("%d programs: %d holds, %d error, %d unknown, %d findings" %
          (n, verdicts["holds"], verdicts["error"], verdicts["unknown"],
           findings))
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
