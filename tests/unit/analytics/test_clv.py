"""CLV: the discounted sum, the summary frame, and BG/NBD + Gamma-Gamma on hand values and simulations."""

import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from crm_app import i18n
from crm_app.analytics.clv import (
    BgNbdFit,
    GammaGammaFit,
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    customer_lifetime_value,
    discounted_clv,
    expected_average_value,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    rfm_summary,
)
from crm_app.analytics.errors import TooLittleData

T = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731


def test_discounted_clv_of_the_worked_example():
    # 1000/1.1 + 1200/1.21 + 1500/1.331 + 1800/1.4641 = 909.09 + 991.74 + 1126.97 + 1229.42 = 4257.22
    assert round(discounted_clv([1000, 1200, 1500, 1800], 0.10), 2) == 4257.22
    # a 30 % margin scales it: 0.3 * 4257.2185 = 1277.17
    assert round(discounted_clv([1000, 1200, 1500, 1800], 0.10, margin=0.3), 2) == 1277.17
    assert discounted_clv([], 0.1) == 0.0


def test_summary_frame_by_hand():
    orders = pd.DataFrame(
        [
            (1, T("2024-01-01 10:00"), "paid", 10.0),
            (1, T("2024-01-01 15:00"), "paid", 5.0),  # same day: one purchase of 15
            (1, T("2024-01-15"), "shipped", 20.0),
            (1, T("2024-01-29"), "paid", 40.0),
            (1, T("2024-02-01"), "cancelled", 100.0),
            (2, T("2024-02-05"), "paid", 50.0),
            (3, T("2024-02-12"), "paid", 70.0),  # at as_of: not seen
        ],
        columns=["customer_id", "ordered_at", "status", "total_amount"],
    )
    # customer 1: purchase days Jan 1, 15, 29 -> 2 repeats; recency 28 d = 4 w; T = 42 d = 6 w; mean repeat (20+40)/2
    # customer 2: one purchase a week before as_of
    expected = pd.DataFrame(
        {"frequency": [2, 0], "recency": [4.0, 0.0], "T": [6.0, 1.0], "monetary": [30.0, 0.0]},
        index=pd.Index([1, 2], name="customer_id"),
    )
    assert_frame_equal(rfm_summary(orders, "2024-02-12"), expected)
    in_days = rfm_summary(orders, "2024-02-12", time_unit="D")
    assert in_days["recency"].tolist() == [28.0, 0.0] and in_days["T"].tolist() == [42.0, 7.0]


def test_bgnbd_likelihood_of_one_customer_by_hand():
    # r=1, α=2, a=1, b=2; x=2, t_x=3, T=5
    # B(1, 4)/B(1, 2) = (1/4)/(1/2) = 1/2; Γ(3) α^r / Γ(1) = 2·2 = 4 -> factor 2
    # L = 2 [7^-3 + a/(b+x-1) 5^-3] = 2 (1/343 + 1/375) = 1436/128625
    value = bgnbd_log_likelihood(1.0, 2.0, 1.0, 2.0, [2], [3.0], [5.0])
    assert value[0] == pytest.approx(math.log(1436 / 128625), rel=1e-12)
    # with no repeat purchase, L = (α/(α+T))^r = 2/7: the chance of no purchase while surely alive
    assert bgnbd_log_likelihood(1.0, 2.0, 1.0, 2.0, [0], [0.0], [5.0])[0] == pytest.approx(math.log(2 / 7))


def test_p_alive_and_expected_purchases_by_hand():
    fit = BgNbdFit(r=1.0, alpha=2.0, a=1.0, b=2.0, log_likelihood=0.0, customers=1)
    # P(alive) = 1 / (1 + 1/3 · (7/5)^3) = 1 / (1 + 343/375) = 375/718
    assert bgnbd_p_alive(fit, [2, 0], [3.0, 0.0], [5.0, 5.0]).tolist() == pytest.approx([375 / 718, 1.0])
    # a new customer (x = 0, T = 0) with a=2, b=1: E[Y(t)] = 2 [1 - (α/(α+t)) 2F1(1, 1; 2; t/(α+t))]
    # and 2F1(1, 1; 2; z) = -ln(1-z)/z; t = 2 -> z = 1/2 -> 2 [1 - 1/2 · 2 ln 2] = 2 (1 - ln 2)
    fresh = BgNbdFit(r=1.0, alpha=2.0, a=2.0, b=1.0, log_likelihood=0.0, customers=1)
    assert bgnbd_expected_purchases(fresh, 2.0, [0], [0.0], [0.0])[0] == pytest.approx(2 * (1 - math.log(2)))


def test_gamma_gamma_by_hand():
    # p=1, q=2, γ=3, x=2, z̄=4: ln Γ(4) - 2 ln Γ(2) + 2 ln 3 + ln 4 + 2 ln 2 - 4 ln 11 = ln(6·9·4·4 / 11^4)
    value = gamma_gamma_log_likelihood(1.0, 2.0, 3.0, [2], [4.0])[0]
    assert value == pytest.approx(math.log(864 / 14641), rel=1e-12)
    fit = GammaGammaFit(p=1.0, q=2.0, gamma=3.0, log_likelihood=0.0, customers=1)
    # E[M] = (γ + x z̄) p / (p x + q - 1) = 11/3; without repeats the population mean p γ/(q-1) = 3
    assert expected_average_value(fit, [2, 0], [4.0, 0.0]).tolist() == pytest.approx([11 / 3, 3.0])


def test_clv_of_one_month_is_one_discounted_step():
    bgnbd = BgNbdFit(r=1.0, alpha=2.0, a=2.0, b=1.0, log_likelihood=0.0, customers=1)
    spend = GammaGammaFit(p=1.0, q=2.0, gamma=3.0, log_likelihood=0.0, customers=1)
    summary = pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [0.0], "monetary": [0.0]})
    result = customer_lifetime_value(summary, bgnbd, spend, months=1, monthly_discount_rate=0.01, margin=0.5)
    # one month = 30.4375 days = 4.348214 weeks; E[M] = 3; CLV = 0.5 · 3 · E[Y(4.348 w)] / 1.01
    purchases = bgnbd_expected_purchases(bgnbd, 30.4375 / 7, [0], [0.0], [0.0])[0]
    assert result.loc[0, "expected_purchases"] == pytest.approx(purchases)
    assert result.loc[0, "clv"] == pytest.approx(0.5 * 3 * purchases / 1.01)
    assert result.loc[0, "p_alive"] == 1.0
    # twelve months are worth more than one, and less than twelve undiscounted months
    year = customer_lifetime_value(summary, bgnbd, spend, months=12, monthly_discount_rate=0.01, margin=0.5)
    undiscounted = 0.5 * 3 * bgnbd_expected_purchases(bgnbd, 12 * 30.4375 / 7, [0], [0.0], [0.0])[0]
    assert result.loc[0, "clv"] < year.loc[0, "clv"] < undiscounted


def _simulate_bgnbd(n, r, alpha, a, b, rng):
    """Customers whose first purchase was T ~ U(26, 78) weeks ago, drawn from the BG/NBD story itself."""
    T = rng.uniform(26, 78, n)
    rate = rng.gamma(r, 1 / alpha, n)  # λ ~ Gamma(shape r, rate α)
    dropout = rng.beta(a, b, n)
    last_purchase = rng.geometric(dropout)  # drops out right after this repeat purchase (1, 2, ...)
    arrivals = rng.poisson(rate * T)  # purchases a Poisson process would make in (0, T]
    x = np.minimum(arrivals, last_purchase)
    t_x = np.zeros(n)
    for i in np.flatnonzero(x):
        t_x[i] = np.sort(rng.uniform(0, T[i], arrivals[i]))[x[i] - 1]
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T})


def test_bgnbd_recovers_the_published_cdnow_parameters():
    # Fader, Hardie & Lee (2005) CDNOW estimates, weeks: r=0.24, α=4.41, a=0.79, b=2.43
    summary = _simulate_bgnbd(5000, 0.24, 4.41, 0.79, 2.43, np.random.default_rng(0))
    fit = fit_bgnbd(summary)
    # Over 30 seeds of this simulation the mean |error| was r 3 %, α 4 %, a 8 %, b 10 % (worst 9, 12, 20, 39 %).
    # r and α are well identified: within 15 %.
    assert fit.r == pytest.approx(0.24, rel=0.15)
    assert fit.alpha == pytest.approx(4.41, rel=0.15)
    # a and b trade off against each other (the published CDNOW standard errors are ≈ 24 % and 30 %):
    # within 25 %, while the mean dropout probability a/(a+b) they imply is tight (worst 11 %): within 10 %.
    assert fit.a == pytest.approx(0.79, rel=0.25)
    assert fit.b == pytest.approx(2.43, rel=0.25)
    assert fit.a / (fit.a + fit.b) == pytest.approx(0.79 / 3.22, rel=0.10)
    assert fit.customers == 5000
    # the maximum beats the true parameters' likelihood (it is a maximum)
    truth = bgnbd_log_likelihood(0.24, 4.41, 0.79, 2.43, summary.frequency, summary.recency, summary["T"]).sum()
    assert fit.log_likelihood >= truth


def test_gamma_gamma_recovers_the_published_cdnow_parameters():
    # Fader, Hardie & Lee (2005) CDNOW spend: p=6.25, q=3.74, γ=15.44 -> mean spend pγ/(q-1) = 35.22
    rng = np.random.default_rng(0)
    n = 20_000
    scale_rate = rng.gamma(3.74, 1 / 15.44, n)  # ν ~ Gamma(q, rate γ)
    repeats = rng.integers(1, 15, n)
    # the mean of x Gamma(p, rate ν) values is exactly Gamma(p x, rate ν x)
    mean_value = rng.gamma(6.25 * repeats, 1 / (scale_rate * repeats))
    fit = fit_gamma_gamma(pd.DataFrame({"frequency": repeats, "monetary": mean_value}))
    # q and the mean spend are tight; p and γ move together, so each is only known to about ±10 %
    # (spread over 20 seeds: mean 6 %, worst 18 %): within 20 %
    assert fit.q == pytest.approx(3.74, rel=0.05)
    assert fit.p * fit.gamma / (fit.q - 1) == pytest.approx(6.25 * 15.44 / 2.74, rel=0.03)
    assert fit.p == pytest.approx(6.25, rel=0.20)
    assert fit.gamma == pytest.approx(15.44, rel=0.20)
    assert fit.customers == n


def test_gamma_gamma_without_repeat_buyers_is_refused_in_the_readers_language():
    with pytest.raises(TooLittleData) as refused:
        fit_gamma_gamma(pd.DataFrame({"frequency": [0, 0], "monetary": [0.0, 0.0]}))
    assert i18n.say(refused.value.args[0], i18n.CHINESE) == "消费模型（Gamma-Gamma）需要购买过不止一次的客户；目前一位也没有。"
