"""Reference GPT-2 forward pass in float64 numpy (nanoGPT's maths, written independently of
tfjs), used by test/model/reference.test.ts to check src/model/gpt.ts.

usage: python3 gpt_numpy.py <checkpoint dir> '<json [[ids]]>'  -> prints JSON logits [B][T][V]
"""
import json
import struct
import sys

import numpy as np


def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = {"F32": "<f4", "I32": "<i4"}[info["dtype"]]
        out[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(info["shape"]).astype(np.float64)
    return out


def layer_norm(x, g, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * g + b


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def forward(w, cfg, idx):
    B, T = idx.shape
    C, H = cfg["nEmbd"], cfg["nHead"]
    D = C // H
    x = w["wte.weight"][idx] + w["wpe.weight"][np.arange(T)]  # [B, T, C]
    causal = np.tril(np.ones((T, T), dtype=bool))
    for i in range(cfg["nLayer"]):
        p = f"h.{i}."
        a = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"])
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]  # [B, T, 3C]
        q, k, v = (t.reshape(B, T, H, D).transpose(0, 2, 1, 3) for t in np.split(qkv, 3, axis=-1))
        att = q @ k.transpose(0, 1, 3, 2) / np.sqrt(D)  # [B, H, T, T]
        att = softmax(np.where(causal, att, -np.inf))
        y = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"])
        x = x + gelu(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]) @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    h = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"])
    return h @ w["wte.weight"].T  # tied unembedding, [B, T, V]


if __name__ == "__main__":
    ckpt = sys.argv[1]
    cfg = json.load(open(f"{ckpt}/config.json"))["model"]
    weights = load_safetensors(f"{ckpt}/model.safetensors")
    idx = np.array(json.loads(sys.argv[2]), dtype=np.int64)
    print(json.dumps(forward(weights, cfg, idx).tolist()))
