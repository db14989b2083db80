"""The matching engine on plain values: hard constraints, soft scores, explanations."""

from __future__ import annotations

import numpy as np

from clearinghouse.cooperation.matching import (
    COMPONENTS,
    Encoder,
    MatchIndex,
    Need,
    Provider,
    constraint_failures,
    regions_of,
)

LEX = Encoder(semantic=False)


def need(**kw: object) -> Need:
    base: dict[str, object] = {
        "key": "n1",
        "country": "pe",
        "assistance": frozenset({"AT-TRAINING"}),
        "languages": frozenset({"LANG-ES"}),
        "targets": frozenset({"GBF-TARGET-06"}),
        "subjects": frozenset({"CBD-SUBJECT-IAS"}),
        "beneficiaries": frozenset({"BT-GOVERNMENT"}),
        "text": "control de especies invasoras en humedales",
    }
    base.update(kw)
    return Need(**base)  # type: ignore[arg-type]


def provider(key: str, **kw: object) -> Provider:
    base: dict[str, object] = {
        "key": key,
        "name": key,
        "country": "cl",
        "assistance": frozenset({"AT-TRAINING"}),
        "languages": frozenset({"LANG-ES"}),
        "coverage": frozenset({"m49-419"}),
        "targets": frozenset({"GBF-TARGET-06"}),
        "subjects": frozenset({"CBD-SUBJECT-IAS"}),
        "text": "especies invasoras control erradicacion",
        "open_slots": 2,
    }
    base.update(kw)
    return Provider(**base)  # type: ignore[arg-type]


def keys(index: MatchIndex, n: Need) -> list[str]:
    return [s.provider.key for s in index.suggest(n, k=10)]


def test_geography_uses_m49_regions() -> None:
    assert "m49-005" in regions_of("pe") and "m49-419" in regions_of("pe")
    assert "m49-030" in regions_of("cn")


def test_each_hard_constraint_excludes() -> None:
    providers = [
        provider("ok"),
        provider("wrong-type", assistance=frozenset({"AT-POLICY"})),
        provider("not-covered", coverage=frozenset({"m49-142", "cn"})),
        provider("other-language", languages=frozenset({"LANG-ZH"})),
        provider("ineligible", beneficiaries=frozenset({"BT-IPLC"})),
        provider("full", open_slots=0, active=3),
        provider("country-listed", coverage=frozenset({"pe"})),
        provider("worldwide", coverage=frozenset()),
    ]
    index = MatchIndex(providers, LEX)
    assert set(keys(index, need())) == {"ok", "country-listed", "worldwide"}
    reasons = {p.key: constraint_failures(need(), p, str) for p in providers}
    for key in ("wrong-type", "not-covered", "other-language", "ineligible", "full"):
        assert len(reasons[key]) == 1, key
    assert reasons["ok"] == []


def test_same_target_beats_same_goal_beats_nothing() -> None:
    providers = [
        provider("same", subjects=frozenset(), text="x"),
        provider("goal", targets=frozenset({"GBF-TARGET-07"}), subjects=frozenset(), text="x"),
        provider("none", targets=frozenset({"GBF-TARGET-20"}), subjects=frozenset(), text="x"),
    ]
    index = MatchIndex(providers, LEX)
    found = index.suggest(need(subjects=frozenset()), k=3)
    assert [s.provider.key for s in found] == ["same", "goal", "none"]
    targets = [next(c for c in s.components if c.name == "targets").score for s in found]
    assert targets == [1.0, 0.5, 0.0]


def test_every_component_is_explained() -> None:
    index = MatchIndex([provider("a", track_record=3, active=1)], LEX)
    (found,) = index.suggest(need(), k=5, labels=lambda i: f"<{i}>")
    assert [c.name for c in found.components] == list(COMPONENTS)
    assert all(c.explanation for c in found.components)
    assert "<GBF-TARGET-06>" in found.components[0].explanation
    assert "3" in found.components[3].explanation
    assert abs(found.score - sum(c.contribution for c in found.components)) < 1e-3


def test_pins_and_exclusions() -> None:
    index = MatchIndex(
        [provider("a"), provider("b"), provider("far", coverage=frozenset({"cn"}))], LEX
    )
    found = index.suggest(need(), pinned=["far"], excluded=["a"])
    assert [s.provider.key for s in found] == ["far", "b"]
    assert found[0].pinned and found[0].warnings  # pinned despite the coverage


def test_batch_rank_agrees_with_single() -> None:
    rng = np.random.default_rng(1)
    providers = [
        provider(f"p{i}", targets=frozenset({f"GBF-TARGET-{rng.integers(1, 24):02d}"}))
        for i in range(50)
    ]
    index = MatchIndex(providers, LEX)
    needs = [need(key=f"n{i}", targets=frozenset({f"GBF-TARGET-{i + 1:02d}"})) for i in range(8)]
    _idx, scores, counts = index.rank(needs, k=3)
    for row, n in enumerate(needs):
        single = index.suggest(n, k=3)
        assert [s.score for s in single] == list(np.round(scores[row], 4))
        assert counts[row] == 50
