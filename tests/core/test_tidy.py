"""The tidy table's guards."""

from __future__ import annotations

import pandas as pd
import pytest

from csdemand.core import tidy
from csdemand.core.errors import InputError


def test_a_table_lacking_columns_is_an_error_naming_them_all_and_the_first_as_the_column():
    df = pd.DataFrame({"measure": ["LACnum"], "value": [1280.0]})
    with pytest.raises(InputError) as caught:
        tidy.require_columns(df, {"value", "status", "period", "measure"}, "LAIT", "a tidy table")
    assert "the LAIT table lacks columns ['period', 'status']" in str(caught.value)
    assert caught.value.column == "period" and caught.value.expected == "a tidy table"


def test_a_table_with_every_column_asked_for_passes_whatever_else_it_has():
    df = pd.DataFrame({"measure": ["LACnum"], "value": [1280.0], "extra": [1]})
    assert tidy.require_columns(df, ["measure", "value"], "LAIT", "a tidy table") is None
