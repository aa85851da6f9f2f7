"""An exported folder read the way Hugging Face transformers reads a GPT-2 folder, in
float64 numpy: only config.json's HF keys (n_head, layer_norm_epsilon, activation_function,
scale_attn_weights, tie_word_embeddings, architectures, pad_token_id) and the
`transformer.`-prefixed tensors; lm_head is wte when the file has no lm_head.weight;
GPT2ForSequenceClassification's score is read at the last token before the first pad.
Used by test/interop/hf-reference.test.ts.

usage: python3 hf_gpt2_numpy.py <hf dir> '<json [[ids]]>'  -> JSON {"logits": [B][T][V], "scores": [B] | null}
"""
import json
import math
import struct
import sys

import numpy as np

ACT = {
    "gelu_new": lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    "gelu_pytorch_tanh": lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    "relu": lambda x: np.maximum(x, 0),
}


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
        assert info["dtype"] == "F32", name
        out[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return out


def main(folder, idx):
    cfg = json.load(open(f"{folder}/config.json"))
    assert cfg["model_type"] == "gpt2"
    w = load_safetensors(f"{folder}/model.safetensors")
    t = lambda name: w["transformer." + name]
    eps, H, act = cfg["layer_norm_epsilon"], cfg["n_head"], ACT[cfg["activation_function"]]

    def ln(x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * t(p + ".weight") + t(p + ".bias")

    B, T = idx.shape
    x = t("wte.weight")[idx] + t("wpe.weight")[np.arange(T)]
    C = x.shape[-1]
    D = C // H
    causal = np.tril(np.ones((T, T), dtype=bool))
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        qkv = ln(x, p + "ln_1") @ t(p + "attn.c_attn.weight") + t(p + "attn.c_attn.bias")  # Conv1D: x @ W + b
        q, k, v = (s.reshape(B, T, H, D).transpose(0, 2, 1, 3) for s in np.split(qkv, 3, axis=-1))
        att = q @ k.transpose(0, 1, 3, 2)
        if cfg.get("scale_attn_weights", True):
            att = att / math.sqrt(D)
        att = np.where(causal, att, -np.inf)
        att = np.exp(att - att.max(-1, keepdims=True))
        att = att / att.sum(-1, keepdims=True)
        y = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
        x = x + y @ t(p + "attn.c_proj.weight") + t(p + "attn.c_proj.bias")
        x = x + act(ln(x, p + "ln_2") @ t(p + "mlp.c_fc.weight") + t(p + "mlp.c_fc.bias")) @ t(p + "mlp.c_proj.weight") + t(p + "mlp.c_proj.bias")
    h = ln(x, "ln_f")
    lm = w.get("lm_head.weight", t("wte.weight") if cfg.get("tie_word_embeddings", True) else None)
    scores = None
    if cfg["architectures"] == ["GPT2ForSequenceClassification"]:
        s = h @ w["score.weight"].T  # [B, T, 1], no bias
        pad = cfg["pad_token_id"]
        last = [(list(row).index(pad) if pad in row else T) - 1 for row in idx.tolist()]
        scores = [float(s[b, last[b], 0]) for b in range(B)]
    return {"logits": (h @ lm.T).tolist(), "scores": scores}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], np.array(json.loads(sys.argv[2]), dtype=np.int64))))
