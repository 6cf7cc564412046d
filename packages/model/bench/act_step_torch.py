"""Times one ACT training step (forward, loss, backward) of the reference semantics in PyTorch
on the CPU, for @trm/model's benchmark. Usage: python3 act_step_torch.py '<config json>'"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../fixtures/parity"))
from make_parity import init_weights  # noqa: E402
from trm_reference import ACT, loss_head  # noqa: E402

cfg = json.loads(sys.argv[1])
B = cfg.pop("batch_size")
gen = torch.Generator().manual_seed(0)
model = ACT(cfg)
init_weights(model, gen)
model.train()
batch = {
    "inputs": torch.randint(1, cfg["vocab_size"], (B, cfg["seq_len"]), generator=gen, dtype=torch.int32),
    "labels": torch.randint(1, cfg["vocab_size"], (B, cfg["seq_len"]), generator=gen, dtype=torch.int32),
    "puzzle_identifiers": torch.zeros(B, dtype=torch.int32),
}
times = []
for i in range(4):
    carry = model.initial_carry(batch)
    t0 = time.perf_counter()
    model.zero_grad()
    carry, out = model(carry, batch)
    loss, _, _ = loss_head(cfg, carry, out)
    (loss / B).backward()
    times.append(time.perf_counter() - t0)
print(json.dumps({"ms": sorted(times[1:])[1] * 1000, "threads": torch.get_num_threads(), "torch": torch.__version__}))
