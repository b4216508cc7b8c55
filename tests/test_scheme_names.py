"""Every value a scheme field can take has one Chinese label, and the label reads back to the value."""

import typing

import pytest

from scoring import names, scheme


def _literal_values(model: type, field: str) -> list:
    annotation = model.model_fields[field].annotation
    args = typing.get_args(annotation) or ()
    found = []
    for arg in args or (annotation,):
        if typing.get_origin(arg) is typing.Literal:
            found += list(typing.get_args(arg))
    if typing.get_origin(annotation) is typing.Literal:
        found += list(typing.get_args(annotation))
    return found


@pytest.mark.parametrize(
    ("model", "field", "table"),
    [
        (scheme.TargetLeaf, "mode", names.MODE_NAMES),
        (scheme.TargetLeaf, "direction", names.DIRECTION_NAMES),
        (scheme.TargetLeaf, "steps", names.STEP_NAMES),
        (scheme.TargetLeaf, "compare", names.COMPARE_NAMES),
        (scheme.TargetLeaf, "compare_as", names.COMPARE_AS_NAMES),
        (scheme.TargetLeaf, "no_baseline", names.NO_BASELINE_NAMES),
        (scheme.TargetLeaf, "below_minimum", names.BELOW_MINIMUM_NAMES),
        (scheme.FormulaInput, "source", names.SOURCE_NAMES),
        (scheme.BottomRule, "combine", names.BOTTOM_COMBINE_NAMES),
        (scheme.Scheme, "period_type", names.PERIOD_TYPE_NAMES),
    ],
)
def test_every_option_value_has_a_label(model, field, table):
    values = _literal_values(model, field)
    assert values, f"{model.__name__}.{field} is no longer a fixed list"
    assert sorted(values) == sorted(table)
    assert len(set(table.values())) == len(table)  # a label names one value only


def test_every_method_has_a_label():
    union = typing.get_args(scheme.Leaf)[0]  # Annotated[A | B | …, discriminator]
    methods = [typing.get_args(leaf.model_fields["method"].annotation)[0] for leaf in typing.get_args(union)]
    assert sorted(methods) == sorted(names.METHOD_NAMES)


def test_labels_read_back():
    assert names.value_for("mode", "分档得分") == "bands"
    assert names.value_for("mode", " bands ") == "bands"  # the stored value is accepted as written
    assert names.value_for("mode", "按档次") is None
    assert names.label_for("direction", "lower") == "越低越好"
    assert names.label_for("unknown_field", "x") == "x"
