"""The PyTorch side of @trm/bench: the work trm does, the way a PyTorch user runs it.

    python3 trm_bench.py step  '<json>'   one ACT training step at a shape, timed
    python3 trm_bench.py train '<json>'   a short training run on a dataset, then its evaluation

Both print one JSON object. The model is the TRM of packages/model/fixtures/parity/
trm_reference.py (our PyTorch implementation of the reference semantics), run with what the
reference uses on a GPU: the forward under torch.autocast in the config's forward_dtype
(bfloat16 by default; CPU autocast where there is no CUDA), F.scaled_dot_product_attention
where this torch has it (2.0 and later; the explicit softmax otherwise, reported), AdamATan2
over one flat buffer of every weight (a few kernels per step, like the reference's fused
multi-tensor kernel), sign-SGD on the puzzle embedding, and torch.compile of the reasoning
module when asked and available.
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
# The repository (apps/bench/torch → repo root), or the deployed app of the accelerator kit,
# which carries the reference next to it (GPU_EXTRA=packages/model/fixtures/parity/…).
for root in (os.path.join(HERE, "../../.."), os.getcwd(), os.path.join(HERE, "..")):
    candidate = os.path.join(root, "packages/model/fixtures/parity")
    if os.path.exists(os.path.join(candidate, "trm_reference.py")):
        sys.path.insert(0, candidate)
        break
import trm_reference as ref  # noqa: E402

HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
HAS_COMPILE = hasattr(torch, "compile")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def sdpa_forward(self, x, cos_sin):
    """Attention through F.scaled_dot_product_attention (flash attention on CUDA)."""
    B, L, _ = x.shape
    q, k, v = self.split_heads(x, cos_sin)
    if torch.is_autocast_enabled() and q.is_cuda:
        # Rotary math promotes to f32; the flash kernel wants the autocast dtype.
        dt = torch.get_autocast_gpu_dtype()
        q, k, v = q.to(dt), k.to(dt), v.to(dt)
    out = F.scaled_dot_product_attention(q, k, v)
    return self.o_proj(out.transpose(1, 2).reshape(B, L, self.heads * self.head_dim))


def init_weights(model, gen):
    """LeCun-normal weights, unit-normal initial states, the q-head as the reference starts it."""
    with torch.no_grad():
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if name.endswith("_init"):
                p.copy_(torch.randn(p.shape, generator=gen))
            elif name.endswith("puzzle_emb.weights") or name.endswith("bias"):
                p.zero_()
            elif p.ndim == 2:
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1]))
        model.inner.q_head.weight.zero_()
        model.inner.q_head.bias.fill_(-5.0)


def full_config(arch):
    cfg = dict(
        H_cycles=3, L_cycles=6, L_layers=2, hidden_size=512, num_heads=8, expansion=4,
        puzzle_emb_len=16, pos_encodings="rope", rms_norm_eps=1e-5, rope_theta=10000.0,
        halt_max_steps=16, halt_exploration_prob=0.0, mlp_t=False, no_ACT_continue=True,
        loss_type="stablemax_cross_entropy",
    )
    cfg.update(arch)
    cfg.setdefault("puzzle_emb_ndim", cfg["hidden_size"])
    return cfg


class Bench:
    """The model on its device, with the optimisers of a training step."""

    def __init__(self, cfg, opts):
        self.cfg = cfg
        self.dev = torch.device("cuda" if torch.cuda.is_available() and opts.get("device") != "cpu" else "cpu")
        self.dtype = DTYPES[opts.get("dtype", "bfloat16")]
        gen = torch.Generator().manual_seed(0)
        model = ref.ACT(cfg)
        init_weights(model, gen)
        if HAS_SDPA:
            for m in model.modules():
                if isinstance(m, ref.Attention):
                    m.forward = sdpa_forward.__get__(m)
        model.to(self.dev).train()
        inner = model.inner
        # The reference rebuilds the rotary tables every forward, on the CPU: build them once here.
        cos_sin = inner.rotary()
        cos_sin = tuple(t.to(self.dev) for t in cos_sin) if cos_sin is not None else None
        inner.rotary = lambda: cos_sin
        self.compiled = "no"
        if opts.get("compile"):
            if not HAS_COMPILE:
                self.compiled = "unavailable (torch %s has no torch.compile)" % torch.__version__
            else:
                inner.L_level = torch.compile(inner.L_level)
                self.compiled = "yes"
        self.model = model
        params = [p for n, p in model.named_parameters() if not n.endswith("puzzle_emb.weights")]
        self.adam = FlatAdamATan2(params, self.dev)
        self.ema = self.adam.flat.clone() if opts.get("ema") else None
        self.puzzle = inner.puzzle_emb if inner.P > 0 else None

    def initial_carry(self, batch):
        B = batch["inputs"].shape[0]
        shape = (B, self.model.inner.total_len, self.cfg["hidden_size"])
        return {
            "inner": (torch.zeros(shape, device=self.dev), torch.zeros(shape, device=self.dev)),
            "steps": torch.zeros(B, dtype=torch.int32, device=self.dev),
            "halted": torch.ones(B, dtype=torch.bool, device=self.dev),
            "data": {k: torch.zeros_like(v) for k, v in batch.items()},
        }

    def autocast(self):
        if self.dtype == torch.float32:
            return torch.autocast(self.dev.type, enabled=False)
        return torch.autocast(self.dev.type, dtype=self.dtype)

    def train_step(self, carry, batch, lr, puzzle_lr, weight_decay, puzzle_wd):
        """Forward (autocast), loss (f32/f64), backward, AdamATan2, sign-SGD, EMA."""
        with self.autocast():
            carry, out = self.model(carry, batch)
        loss, metrics, _ = ref.loss_head(self.cfg, carry, out)
        (loss / batch["inputs"].shape[0]).backward()
        self.adam.step(lr, weight_decay)
        if self.puzzle is not None and self.puzzle.local is not None and self.puzzle.local.grad is not None:
            sign_sgd(self.puzzle.weights, carry["data"]["puzzle_identifiers"], self.puzzle.local.grad, puzzle_lr, puzzle_wd)
            self.puzzle.local = None
        if self.ema is not None:
            self.ema.lerp_(self.adam.flat, 0.001)
        self.adam.zero_grad()
        return carry, loss.item(), metrics

    def sync(self):
        if self.dev.type == "cuda":
            torch.cuda.synchronize()


class FlatAdamATan2:
    """AdamATan2 (decoupled decay; p -= lr/bc1 · atan2(m, sqrt(v)/sqrt(bc2))) over one flat
    buffer holding every weight and one holding every gradient: seven kernels per step."""

    def __init__(self, params, dev, b1=0.9, b2=0.95):
        n = sum(p.numel() for p in params)
        self.flat = torch.zeros(n, device=dev)
        self.grad = torch.zeros(n, device=dev)
        offset = 0
        for p in params:
            k = p.numel()
            self.flat[offset : offset + k].copy_(p.data.reshape(-1))
            p.data = self.flat[offset : offset + k].view_as(p)
            # Autograd accumulates into an existing .grad in place, so gradients land here.
            p.grad = self.grad[offset : offset + k].view_as(p)
            offset += k
        self.m, self.v = torch.zeros_like(self.flat), torch.zeros_like(self.flat)
        self.b1, self.b2, self.t = b1, b2, 0

    def step(self, lr, weight_decay):
        self.t += 1
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        self.flat.mul_(1 - lr * weight_decay)
        self.m.lerp_(self.grad, 1 - self.b1)
        self.v.mul_(self.b2).addcmul_(self.grad, self.grad, value=1 - self.b2)
        self.flat.add_(torch.atan2(self.m, self.v.sqrt() / math.sqrt(bc2)), alpha=-lr / bc1)

    def zero_grad(self):
        self.grad.zero_()


def sign_sgd(weights, ids, grad, lr, weight_decay):
    """Sign-SGD on the puzzle-embedding rows of the batch (gradients of repeated ids summed)."""
    with torch.no_grad():
        ids = ids.long()
        g = torch.zeros_like(weights).index_add_(0, ids, grad.float())
        touched = torch.zeros(weights.shape[0], dtype=torch.bool, device=weights.device)
        touched[ids] = True
        updated = weights * (1 - lr * weight_decay) - lr * g.sign()
        weights.copy_(torch.where(touched[:, None], updated, weights))


def random_batch(cfg, B, dev, gen):
    V, S = cfg["vocab_size"], cfg["seq_len"]
    return {
        "inputs": torch.randint(1, V, (B, S), generator=gen, dtype=torch.int32).to(dev),
        "labels": torch.randint(1, V, (B, S), generator=gen, dtype=torch.int32).to(dev),
        "puzzle_identifiers": (torch.arange(B, dtype=torch.int32) % cfg["num_puzzle_identifiers"]).to(dev),
    }


def environment(bench):
    env = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if bench.dev.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "sdpa": "F.scaled_dot_product_attention" if HAS_SDPA else "unavailable (explicit softmax)",
        "compile": bench.compiled,
        "dtype": str(bench.dtype).replace("torch.", ""),
    }
    return env


def peak_mib(bench):
    return torch.cuda.max_memory_allocated() / 2**20 if bench.dev.type == "cuda" else None


def run_step(args):
    """Times the training step at each batch of args["batches"]; one model, built once."""
    cfg = full_config(args["config"])
    bench = Bench(cfg, args)
    env = environment(bench)
    if args.get("compile") and not HAS_COMPILE:
        return {**env, "skipped": bench.compiled}
    results = []
    for B in args["batches"]:
        try:
            results.append({"batch": B, **time_steps(bench, cfg, B, args)})
        except RuntimeError as e:  # CUDA's out-of-memory is a RuntimeError before torch 2.0
            if "out of memory" not in str(e):
                raise
            results.append({"batch": B, "error": "out of memory"})
            bench.adam.zero_grad()
            if bench.dev.type == "cuda":
                torch.cuda.empty_cache()
    return {**env, "results": results}


def time_steps(bench, cfg, B, args):
    gen = torch.Generator().manual_seed(1)
    batch = random_batch(cfg, B, bench.dev, gen)
    carry = bench.initial_carry(batch)
    if bench.dev.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    for _ in range(args.get("warmup", 2)):
        carry, _, _ = bench.train_step(carry, batch, 1e-4, 1e-2, 0.1, 0.1)
    bench.sync()
    t0 = time.perf_counter()
    # At least one timed step; more while they fit the time box, as the trm side does.
    box, steps = args.get("maxSeconds") or float("inf"), 0
    while True:
        carry, _, _ = bench.train_step(carry, batch, 1e-4, 1e-2, 0.1, 0.1)
        bench.sync()
        steps += 1
        if steps >= args.get("steps", 3) or (time.perf_counter() - t0) * (steps + 1) / steps > box:
            break
    ms = (time.perf_counter() - t0) * 1000 / steps
    return {"timedSteps": steps, "msPerStep": ms, "stepsPerSecond": 1000 / ms, "examplesPerSecond": B * 1000 / ms, "peakMiB": peak_mib(bench)}


def load_split(path):
    import numpy as np

    meta = json.load(open(os.path.join(path, "dataset.json")))
    inputs = np.load(os.path.join(path, "all__inputs.npy")).astype("int32")
    labels = np.load(os.path.join(path, "all__labels.npy")).astype("int32")
    starts = np.load(os.path.join(path, "all__puzzle_indices.npy"))
    ids = np.load(os.path.join(path, "all__puzzle_identifiers.npy")).astype("int32")
    # Example i belongs to puzzle p with starts[p] <= i < starts[p + 1].
    per_example = np.repeat(ids, np.diff(starts))
    labels[labels == meta["ignore_label_id"]] = ref.IGNORE
    return meta, torch.from_numpy(inputs), torch.from_numpy(labels), torch.from_numpy(per_example)


def run_train(args):
    data = args["data"]
    meta, inputs, labels, ids = load_split(os.path.join(data, "train"))
    cfg = full_config({
        **args["arch"],
        "seq_len": meta["seq_len"],
        "vocab_size": meta["vocab_size"],
        "num_puzzle_identifiers": meta["num_puzzle_identifiers"],
    })
    B, steps = args["batch"], args["steps"]
    bench = Bench(cfg, {**args, "ema": args.get("ema", False)})
    env = environment(bench)
    if args.get("compile") and not HAS_COMPILE:
        return {**env, "skipped": bench.compiled}
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(inputs.shape[0], generator=gen)
    take = lambda idx: {  # noqa: E731
        "inputs": inputs[idx].to(bench.dev),
        "labels": labels[idx].to(bench.dev),
        "puzzle_identifiers": ids[idx].to(bench.dev),
    }
    carry = None
    times = []
    for s in range(steps):
        idx = order[(s * B) % inputs.shape[0] :][:B]
        if idx.shape[0] < B:
            idx = torch.cat([idx, order[: B - idx.shape[0]]])
        batch = take(idx)
        if carry is None:
            carry = bench.initial_carry(batch)
        t0 = time.perf_counter()
        carry, _, _ = bench.train_step(carry, batch, args["lr"], args["puzzle_emb_lr"], args["weight_decay"], args["puzzle_emb_weight_decay"])
        bench.sync()
        times.append(time.perf_counter() - t0)
    # The first steps compile and warm caches, as ours do: time the rest.
    timed = times[1:] if len(times) > 1 else times
    sps = len(timed) / sum(timed)
    # Evaluation: every test example through halt_max_steps ACT steps, without gradients.
    tmeta, tin, tlab, tids = load_split(os.path.join(data, "test"))
    bench.model.eval()
    n = tin.shape[0]
    bench.sync()
    t0 = time.perf_counter()
    exact = 0
    with torch.no_grad():
        for start in range(0, n, B):
            batch = {
                "inputs": tin[start : start + B].to(bench.dev),
                "labels": tlab[start : start + B].to(bench.dev),
                "puzzle_identifiers": tids[start : start + B].to(bench.dev),
            }
            carry = bench.initial_carry(batch)
            for _ in range(cfg["halt_max_steps"]):
                with bench.autocast():
                    carry, out = bench.model(carry, batch)
            _, metrics, _ = ref.loss_head(cfg, carry, out)
            exact += metrics["exact_accuracy"]
    bench.sync()
    eval_s = time.perf_counter() - t0
    return {
        **env,
        "steps": steps,
        "batch": B,
        "stepsPerSecond": sps,
        "examplesPerSecond": sps * B,
        "evalExamples": n,
        "evalSeconds": eval_s,
        "evalExamplesPerSecond": n / eval_s,
        "evalExactAccuracy": exact / n,
        "peakMiB": peak_mib(bench),
    }


if __name__ == "__main__":
    mode, payload = sys.argv[1], json.loads(sys.argv[2])
    try:
        result = run_step(payload) if mode == "step" else run_train(payload)
    except RuntimeError as e:
        if "out of memory" not in str(e):
            raise
        result = {"error": "out of memory"}
    print(json.dumps(result))
