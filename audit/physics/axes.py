"""Interpretation axes: the questions a report leaves open, each with its documented answers.

A report rarely says whether "batch 512" is global or per replica, whether "80 GB" means GB or
GiB, whether its attention is causal. Each such question is an `Axis`; its answers are `Option`s,
the canonical one first. A metric declares the axes its own formula varies over
(`audit.physics.formulas`), inherits those of the metrics it is built from, and is evaluated under
every combination that applies to the scenario: one `Reading` each.

An option marked `bounds_only` is a reading that keeps floors and ceilings honest (attention
partitioned by batch across TP ranks shards even a single KV head) but that no recompute rule may
accept as the value of a figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from audit.records import Option

Values = Mapping[str, float]
"""The scenario's base figures by symbol (`audit.physics.model.base_values`)."""


@dataclass(frozen=True, slots=True)
class Axis:
    name: str
    options: tuple[Option, ...]
    """Canonical first."""
    when: Mapping[str, Callable[[Values], bool]]
    """Option name -> whether the option applies to a scenario; options not named always apply."""

    def applicable(self, values: Values) -> tuple[Option, ...]:
        return tuple(o for o in self.options if self.when.get(o.name, _always)(values))

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)


def _always(_: Values) -> bool:
    return True


def _axis(name: str, *options: Option, **when: Callable[[Values], bool]) -> Axis:
    return Axis(name, tuple(Option(name, o.name, o.label, o.bounds_only) for o in options), when)


def _o(name: str, label: str, bounds_only: bool = False) -> Option:
    return Option("", name, label, bounds_only)


AXES: dict[str, Axis] = {a.name: a for a in (
    _axis("batch", _o("global", "batch global, split over DP"), _o("per_replica", "the scenario's batch per replica"),
          per_replica=lambda v: v["DP"] > 1),
    _axis("batch_scope", _o("deployment", "the whole deployment's batch"), _o("replica", "one replica's batch"),
          replica=lambda v: v["DP"] > 1),
    _axis("context", _o("input", "KV at the longest prompt"), _o("input_output", "KV at prompt + output"),
          input_output=lambda v: v["o_max"] > 0),
    _axis("kv_split", _o("heads", "KV heads over min(TP, kv_heads) ranks (replicated beyond)"),
          _o("batch", "attention partitioned by batch: KV / TP", bounds_only=True),
          batch=lambda v: v["TP"] > 1 and bool(v["mla"] or v["TP"] > v["n_kv"])),
    _axis("stage", _o("even", "layers split evenly over the stages"), _o("heaviest", "the heaviest pipeline stage"),
          heaviest=lambda v: v["L"] % v["PP"] != 0),
    _axis("capacity", _o("spec", "capacity as specified"), _o("gib", "the GB capacity read as GiB"),
          gib=lambda v: float(v["M_hbm"] / 1e9).is_integer()),
    _axis("free_of", _o("weights", "what the weights leave (room for the KV cache and activations)"),
          _o("weights_kv", "what the weights and the KV cache leave")),
    _axis("share_of", _o("held", "a share of what the device holds (weights + KV cache)"),
          _o("capacity", "a share of the device's memory capacity")),
    _axis("causal", _o("causal", "causal attention"), _o("full", "attention not halved for causality")),
    _axis("lm_head", _o("all", "lm_head on every prompt token"), _o("last", "lm_head on the last token only")),
    _axis("embedding", _o("free", "embedding lookup free"), _o("counted", "embedding counted as a matmul"),
          counted=lambda v: not v["tied"]),
    _axis("attention_part", _o("all", "attention projections and scores"), _o("scores", "attention scores only")),
    _axis("mlp_part", _o("all", "top-k experts, router and shared experts"), _o("routed", "routed experts only"),
          routed=lambda v: bool(v["moe"])),
    _axis("prompt", _o("design", "the design-point (longest) prompt"), _o("shortest", "the shortest prompt")),
    _axis("routing", _o("uniform", "experts a uniformly routed batch touches"),
          _o("topk", "top-k experts per layer (every token routed alike)"), topk=lambda v: bool(v["moe"])),
    _axis("micro_batch", _o("pipelined", "PP micro-batches in flight"),
          _o("whole", "the replica's batch as one micro-batch"), whole=lambda v: bool(v["moe"]) and v["PP"] > 1),
)}
