"""A training loop that survives the failures of long runs (docs/retries.md).

dlrun runs it again, in a fresh container, when an attempt ends with a GPU failure or the
engine restarting under it (the spec's "retry"), and tells each attempt where to resume:
DLRUN_RESUME_FROM is the newest file under /outputs that the spec's "checkpoint" pattern
matches. Resuming takes the two lines marked below.
"""
import os

import torch
from torch import nn

EPOCHS = int(os.environ.get("EPOCHS", "20"))
device = "cuda" if torch.cuda.is_available() else "cpu"

torch.manual_seed(0)
inputs, targets = torch.randn(4096, 64, device=device), torch.randn(4096, 1, device=device)
model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 1)).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
first_epoch = 0

resume_from = os.environ.get("DLRUN_RESUME_FROM")  # 1: where the last attempt got to
if resume_from:  # 2: carry on from there
    state = torch.load(resume_from, map_location=device)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    first_epoch = state["epoch"] + 1
print(f"attempt {os.environ.get('DLRUN_ATTEMPT', '1')}: epochs {first_epoch}..{EPOCHS - 1}"
      f" on {device}" + (f", resuming from {resume_from}" if resume_from else ""), flush=True)

for epoch in range(first_epoch, EPOCHS):
    for batch in range(0, len(inputs), 256):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(inputs[batch:batch + 256]), targets[batch:batch + 256])
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}", flush=True)
    # Written aside, then renamed: a checkpoint cut short by a failure never matches the pattern.
    path = f"/outputs/ckpt-{epoch:04d}.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch},
               path + ".partial")
    os.replace(path + ".partial", path)
