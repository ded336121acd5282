"""The cockpit's own words in the reader's language (issue 16): each KPI's label and formula are in the catalogue,
and the sentences the analytics layer writes (a target's source, the filters, the suggestions) are Words
(analytics/words.py) that i18n.say says in Chinese from their templates, equal to the English text otherwise."""

from __future__ import annotations

import pickle
from datetime import date

from crm_app import i18n
from crm_app.analytics.cockpit import KPIS, CockpitFilters, TargetScope
from crm_app.analytics.words import Words


def test_every_kpis_label_and_formula_is_in_the_catalogue():
    catalogue = i18n.catalogue(i18n.CHINESE)
    assert [k.label for k in KPIS if k.label not in catalogue] == []
    assert [k.formula for k in KPIS if k.formula not in catalogue] == []


def test_a_targets_source_is_english_text_said_in_chinese_from_its_template():
    source = TargetScope("region", "EMEA").described()
    assert source == "region EMEA"
    assert i18n.say(source, i18n.CHINESE) == "区域 欧洲、中东和非洲"
    assert i18n.say(TargetScope("rep", "7").described({7: "Rita"}), i18n.CHINESE) == "销售代表 Rita"
    assert i18n.say(TargetScope().described(), i18n.CHINESE) == "公司"
    summed = Words("sum of the {scope} targets", scope="segment")
    assert (summed, i18n.say(summed, i18n.CHINESE)) == ("sum of the segment targets", "各客户分层目标之和")


def test_a_suggestion_nests_words_and_survives_pickling():
    gap = Words("{gap} points", gap="12")
    sentence = Words("{kpi} is {gap} under target ({source}); detractors in {region}.", kpi="NPS", gap=gap,
                     source=TargetScope().described(), region="EMEA")
    assert sentence == "NPS is 12 points under target (company); detractors in EMEA."
    again = pickle.loads(pickle.dumps(sentence))
    assert i18n.say(again, i18n.CHINESE) == "净推荐值（NPS）低于目标 12 分（公司）；贬损者集中在欧洲、中东和非洲。"


def test_the_filters_in_words_part_by_part():
    filters = CockpitFilters(start=date(2026, 1, 1), end=date(2026, 2, 1), segment="SMB", stage="Proposal")
    assert filters.described() == "2026-01-01 to 2026-01-31 · segment SMB · open deals in Proposal"
    assert [i18n.say(part, i18n.CHINESE) for part in filters.described_parts()] == [
        "2026-01-01 至 2026-01-31", "客户分层 中小企业", "处于方案阶段的进行中商机"]
