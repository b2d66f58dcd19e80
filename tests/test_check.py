"""The rules stage as a whole: which findings a figure gets."""

from __future__ import annotations

from audit.bind import load_vocabulary
from audit.check import Auditor
from audit.model import Model
from audit.rules import load_rules
from audit.spec import Spec

# Llama-3.1-8B (models.yaml config) in BF16 on one A100-80GB (2.039 TB/s), batch 8, 4,096-token prompts
DENSE = {
    "model": {"name": "Llama-3.1-8B", "layers": 32, "hidden_size": 4096, "vocab_size": 128256,
              "intermediate_size": 14336, "attention": {"heads": 32, "kv_heads": 8, "head_dim": 128}},
    "hardware": {"devices": 1, "memory": "80 GB", "memory_bandwidth": "2.039 TB/s",
                 "peak_flops": {"bf16": "312 TFLOPS"}},
    "precision": {"weights": "bf16", "kv_cache": "bf16"},
    "workload": {"batch_size": 8, "input_tokens": 4096},
}


def test_a_dense_decode_step_below_its_floor_is_one_error():
    # the floor: the weights read once (the embedding table is not read in decode: 7.50e9 x 2 B = 15.0 GB)
    # plus the KV cache (8 x 4096 tokens x 2 x 32 x 8 x 128 x 2 B = 4.29 GB), over 2.039 TB/s = 9.47 ms.
    # A dense model's uniform-routing floor is that same bound: one error, and no warning beside it.
    spec = Spec.model_validate(DENSE)
    auditor = Auditor("dense.yaml", spec, Model(spec), tuple(load_rules()), load_vocabulary())
    result = auditor.audit_text("# Decode\n\n- Decode step: 2 ms\n")
    assert [(f.rule, f.severity) for f in result.findings] == [("LAT003", "error")]
    assert 0.0094 < result.findings[0].expected[0] < 0.0095
