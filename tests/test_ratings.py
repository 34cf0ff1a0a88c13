"""Ratings by maximum likelihood, cutechess's match line and the SPRT, against numbers worked out by hand."""

import math

import numpy as np
import pytest

from core.errors import UserError
from evaluation import ratings

NATS = 400 / math.log(10)  # Elo per natural log-odds unit
Z = 1.959963984540054      # 97.5% normal quantile


def _expected_score(elo):
  return 1 / (1 + 10**(-elo / 400))


def _games(first, second, wins=0, losses=0, draws=0):
  return [(first, second, 1.0)] * wins + [(first, second, 0.0)] * losses + [(first, second, 0.5)] * draws


def _tournament(rng, elos, games_per_pair, draw_share):
  """A round robin of agents p0, p1, ... of these Elos, shuffled.

  A draw takes `draw_share` of the weaker side's expected score from each side's chances.
  """
  names = [f"p{i}" for i in range(len(elos))]
  results = []
  for i in range(len(elos)):
    for j in range(i + 1, len(elos)):
      p = _expected_score(elos[i] - elos[j])
      d = draw_share * 2 * min(p, 1 - p)
      w, dr, l = rng.multinomial(games_per_pair, [p - d / 2, d, 1 - p - d / 2])
      results += _games(names[i], names[j], w, l, dr)
  rng.shuffle(results)
  return names, [tuple(r) for r in results]


# ----------------------------------------------------------------------------
# fit


def test_two_agents_three_wins_one_loss():
  # ML: the expected score equals the actual one, 3/4, so elo = 400 log10(3) = 190.85.
  # Information in log-odds: games * p (1 - p) = 4 * 3/4 * 1/4 = 3/4, so sd = sqrt(4/3) nats = 200.59 Elo.
  results = _games("A", "B", wins=3, losses=1)
  table = ratings.fit(results, anchor="B")
  a, b = table
  sd = math.sqrt(4 / 3) * NATS
  assert a.agent == "A" and a.elo == pytest.approx(190.8485, abs=1e-4)
  assert a.elo == pytest.approx(400 * math.log10(3), abs=1e-7)
  assert sd == pytest.approx(200.59, abs=0.01)
  assert (a.ci_low, a.ci_high) == pytest.approx((a.elo - Z * sd, a.elo + Z * sd), abs=1e-6)
  assert a.ci_high - a.elo == pytest.approx(393.15, abs=0.01)
  assert (b.agent, b.elo, b.ci_low, b.ci_high) == ("B", 0.0, 0.0, 0.0)  # The anchor is fixed.
  assert (a.games, a.score, a.draws, b.games, b.score, b.draws) == (4, 3.0, 0, 4, 1.0, 0)
  # LOS = Phi(190.85 / 200.59) = Phi(0.9514).
  assert a.los_next == pytest.approx(0.82931, abs=1e-5)
  assert b.los_next is None


def test_draws_count_as_half_a_win_and_half_a_loss():
  # 2 wins and 2 draws are 3 points of 4, as 3 wins and a loss: the same rating and interval.
  plain = ratings.fit(_games("A", "B", wins=3, losses=1), anchor="B")[0]
  drawn = ratings.fit(_games("A", "B", wins=2, draws=2), anchor="B")[0]
  assert (drawn.elo, drawn.ci_low, drawn.ci_high) == pytest.approx((plain.elo, plain.ci_low, plain.ci_high))
  assert (drawn.games, drawn.score, drawn.draws) == (4, 3.0, 2)


def test_the_first_agent_is_the_anchor_by_default_and_anchor_elo_shifts_everyone():
  results = _games("B", "A", wins=1, losses=3)
  by_default = ratings.fit(results)
  assert [(r.agent, round(r.elo, 4)) for r in by_default] == [("A", 190.8485), ("B", 0.0)]
  shifted = ratings.fit(results, anchor="A", anchor_elo=1000.0)
  assert [(r.agent, round(r.elo, 4)) for r in shifted] == [("A", 1000.0), ("B", 809.1515)]
  assert shifted[1].ci_high - shifted[1].elo == pytest.approx(Z * math.sqrt(4 / 3) * NATS)


def test_a_cycle_gives_equal_ratings_and_the_covariance_of_the_inverse_hessian():
  # A beat B, B beat C, C beat A: all ratings 0. Each pair has w = 1 * 1/2 * 1/2 = 1/4, and with A
  # fixed the information of (B, C) is [[1/2, -1/4], [-1/4, 1/2]], whose inverse is [[8/3, 4/3], [4/3, 8/3]].
  fitted = ratings.fit_with_covariance(
      _games("A", "B", wins=1) + _games("B", "C", wins=1) + _games("C", "A", wins=1))
  assert fitted.agents == ("A", "B", "C") and fitted.anchor == "A" and not fitted.regularised
  np.testing.assert_allclose(fitted.covariance / NATS**2, [[0, 0, 0], [0, 8 / 3, 4 / 3], [0, 4 / 3, 8 / 3]],
                             atol=1e-9)
  assert [r.elo for r in fitted.ratings] == pytest.approx([0, 0, 0], abs=1e-9)
  assert [r.agent for r in fitted.ratings] == ["A", "B", "C"]  # Ties keep the order of first appearance.
  b = fitted.ratings[1]
  assert b.ci_high == pytest.approx(Z * math.sqrt(8 / 3) * NATS) == pytest.approx(556.00, abs=0.01)
  assert [r.los_next for r in fitted.ratings] == [0.5, 0.5, None]
  assert fitted.los("B", "C") == 0.5


def test_a_perfect_record_is_regularised_with_one_virtual_draw_against_the_anchor():
  # 3-0 has no finite ML rating. With one virtual draw the record is 3.5 of 4: p = 7/8, elo = 400 log10(7),
  # information 4 * 7/8 * 1/8 = 7/16. The table still counts the 3 real games.
  fitted = ratings.fit_with_covariance(_games("A", "B", wins=3), anchor="B")
  a, b = fitted.ratings
  assert fitted.regularised
  assert a.elo == pytest.approx(400 * math.log10(7)) == pytest.approx(338.04, abs=0.01)
  assert a.ci_high - a.elo == pytest.approx(Z * math.sqrt(16 / 7) * NATS)
  assert (a.games, a.score, a.draws, b.games, b.score) == (3, 3.0, 0, 3, 0.0)


def test_every_rating_is_finite_when_one_agent_lost_every_game():
  # "rnd" lost all its games, the others played each other too: the ratings stay finite.
  rng = np.random.default_rng(3)
  _, results = _tournament(rng, [0.0, 100.0, -50.0], 50, draw_share=0.2)
  results += _games("p0", "rnd", wins=20) + _games("rnd", "p1", losses=20)
  fitted = ratings.fit_with_covariance(results, anchor="p0")
  assert fitted.regularised
  assert [r.agent for r in fitted.ratings][-1] == "rnd"
  assert all(math.isfinite(v) for r in fitted.ratings for v in (r.elo, r.ci_low, r.ci_high))
  assert fitted.ratings[-1].elo < -400


def test_fit_recovers_known_ratings_within_their_intervals():
  true = {"p0": 0.0, "p1": 150.0, "p2": -120.0, "p3": 320.0, "p4": -400.0}
  rng = np.random.default_rng(0)
  names, results = _tournament(rng, list(true.values()), 400, draw_share=0.3)
  table = ratings.fit(results, anchor="p0")
  assert [r.agent for r in table] == ["p3", "p1", "p0", "p2", "p4"]
  for r in table:
    assert r.ci_low <= true[r.agent] <= r.ci_high, r
    assert r.games == 1600 and r.draws > 0
  # Neighbours are 120-170 Elo apart with intervals of about +/- 35: each one is surely above the next.
  assert all(r.los_next > 0.999 for r in table[:-1])
  assert sum(r.score for r in table) == len(results)


@pytest.mark.slow
@pytest.mark.parametrize("draw_share, low, high", [
    (0.0, 0.935, 0.960),  # No draws: the Wald interval covers about 95% (measured 95.1%).
    (0.3, 0.950, 0.985),  # Draws vary less than half points assume: wider than needed (measured 97.6%).
])
def test_intervals_cover_the_true_ratings_about_95_percent_of_the_time(draw_share, low, high):
  elos = [0.0, 60.0, -80.0, 150.0, -250.0]
  rng = np.random.default_rng(1)
  hits = total = 0
  for _ in range(4000):
    names, results = _tournament(rng, elos, 100, draw_share)
    for r in ratings.fit(results, anchor="p0"):
      if r.agent != "p0":  # The anchor's interval is its fixed value.
        hits += r.ci_low <= elos[names.index(r.agent)] <= r.ci_high
        total += 1
  assert low <= hits / total <= high


@pytest.mark.parametrize("results, message", [
    ([("A", "B", 0.3)], "a score is 1, 0.5 or 0"),
    ([("A", "A", 1.0)], "against itself"),
])
def test_fit_rejects_bad_games(results, message):
  with pytest.raises(ValueError, match=message):
    ratings.fit(results)


def test_fit_of_no_games_is_empty_and_an_anchor_must_have_played():
  assert ratings.fit([]) == []
  with pytest.raises(ValueError, match="'C' played no game"):
    ratings.fit(_games("A", "B", wins=1, losses=1), anchor="C")


# ----------------------------------------------------------------------------
# match_summary


def test_match_summary_by_hand():
  # 6 wins, 2 losses, 2 draws: mu = 0.7, elo = 400 log10(7/3) = 147.19;
  # sd = sqrt(0.6 * 0.3^2 + 0.2 * 0.7^2 + 0.2 * 0.2^2) / sqrt(10) = 0.4 / sqrt(10);
  # LOS = (1 + erf(4 / sqrt(16))) / 2 = (1 + erf(1)) / 2 = 0.92135.
  got = ratings.match_summary(6, 2, 2)
  z = 1.9571617  # cutechess's approximate 97.5% quantile
  sd = 0.4 / math.sqrt(10)
  hi, lo = 0.7 + z * sd, 0.7 - z * sd
  assert got.elo == pytest.approx(400 * math.log10(7 / 3)) == pytest.approx(147.19, abs=0.01)
  assert got.error == pytest.approx((400 * math.log10(hi / (1 - hi)) - 400 * math.log10(lo / (1 - lo))) / 2,
                                    abs=1e-4)
  assert got.error == pytest.approx(267.97, abs=0.01)
  assert got.los == pytest.approx((1 + math.erf(1)) / 2) == pytest.approx(0.92135, abs=1e-5)
  assert (got.draw_ratio, got.games) == (0.2, 10)
  assert str(got) == "Elo difference: 147.2 +/- 268.0, LOS: 92.1 %, DrawRatio: 20.0 %"


@pytest.mark.parametrize("wins, losses, draws, line", [
    # cutechess issue #543 (cutechess/cutechess), the line printed by cutechess-cli 1.1.
    (880, 759, 1863, "Elo difference: 12.0 +/- 7.9, LOS: 99.9 %, DrawRatio: 53.2 %"),
    # cutechess-cli output quoted in mvanthoor/rustic-book, src/progress/sprt_results.md.
    (869, 646, 357, "Elo difference: 41.6 +/- 14.2, LOS: 100.0 %, DrawRatio: 19.1 %"),
    (409, 197, 133, "Elo difference: 102.5 +/- 23.5, LOS: 100.0 %, DrawRatio: 18.0 %"),
    # cutechess-cli output quoted in PS-Wizard/OopsMate, archive/data/results/v16_lazysmp.md. The exact
    # quantile 1.95996 would print 62.5 and 31.9: these two pin cutechess's approximate 1.95716.
    (45, 37, 18, "Elo difference: 27.9 +/- 62.4, LOS: 81.2 %, DrawRatio: 18.0 %"),
    (99, 97, 104, "Elo difference: 2.3 +/- 31.8, LOS: 55.7 %, DrawRatio: 34.7 %"),
])
def test_match_summary_prints_cutechess_lines_digit_for_digit(wins, losses, draws, line):
  assert str(ratings.match_summary(wins, losses, draws)) == line


@pytest.mark.parametrize("wins, losses, draws, line", [
    # LOS = (1 + erf(5 / sqrt(10))) / 2 = 0.98733; no interval exists around a score of 1.
    (5, 0, 0, "Elo difference: inf +/- nan, LOS: 98.7 %, DrawRatio: 0.0 %"),
    (0, 5, 0, "Elo difference: -inf +/- nan, LOS: 1.3 %, DrawRatio: 0.0 %"),
    (0, 0, 0, "Elo difference: nan +/- nan, LOS: nan %, DrawRatio: nan %"),
    (0, 0, 4, "Elo difference: 0.0 +/- 0.0, LOS: 50.0 %, DrawRatio: 100.0 %"),
])
def test_match_summary_edge_cases_print_instead_of_crashing(wins, losses, draws, line):
  assert str(ratings.match_summary(wins, losses, draws)) == line


# ----------------------------------------------------------------------------
# Sprt


def test_sprt_bounds():
  sprt = ratings.Sprt(0, 10)
  assert sprt.lower == pytest.approx(math.log(0.05 / 0.95)) == pytest.approx(-2.944439, abs=1e-6)
  assert sprt.upper == pytest.approx(math.log(0.95 / 0.05)) == pytest.approx(2.944439, abs=1e-6)
  assert ratings.Sprt(-3, 1, alpha=0.1, beta=0.2).lower == pytest.approx(math.log(0.2 / 0.9))


def test_llr_by_hand():
  # 2 wins, 1 loss, 1 draw. Under a score s the ML trinomial has draws t, wins s - t/2, losses 1 - s - t/2,
  # t maximising 2 log(s - t/2) + log t + log(1 - s - t/2):
  #   s0 = 1/2 (elo0 = 0):             -2/(1 - t) + 1/t - 1/(1 - t) = 0     ->  t = 1/4
  #   s1 = 0.6 (elo1 = 400 log10 1.5): -2/(1.2 - t) + 1/t - 1/(0.8 - t) = 0 ->  t^2 - 1.2 t + 0.24 = 0
  t1 = 0.6 - math.sqrt(0.12)
  win0, draw0, loss0 = 3 / 8, 1 / 4, 3 / 8
  win1, draw1, loss1 = 0.6 - t1 / 2, t1, 0.4 - t1 / 2
  expected = 2 * math.log(win1 / win0) + math.log(draw1 / draw0) + math.log(loss1 / loss0)
  sprt = ratings.Sprt(0, 400 * math.log10(1.5))
  assert sprt.llr(2, 1, 1) == pytest.approx(expected, abs=1e-10)
  assert expected == pytest.approx(0.162760, abs=1e-6)


def test_llr_without_draws_is_the_binomial_sprt():
  # Go has no draws: W log(s1/s0) + L log((1-s1)/(1-s0)), up to fishtest's 0.001 virtual draws.
  s1 = _expected_score(100)
  expected = 30 * math.log(s1 / 0.5) + 10 * math.log((1 - s1) / 0.5)
  assert ratings.Sprt(0, 100).llr(30, 10, 0) == pytest.approx(expected, abs=0.01)
  assert ratings.Sprt(0, 100).decide(30, 10, 0) == "H1"


def test_describe_is_cutechess_s_line():
  sprt = ratings.Sprt(0, 5)
  # The match of cutechess issue #543. cutechess 1.1 printed "llr 2.95 (100.2%)": it converts the bounds to
  # BayesElo with the draw rate of the games (its llr is 2.9517); the GSPRT of fishtest gives 2.9472.
  assert sprt.llr(880, 759, 1863) == pytest.approx(2.947224, abs=1e-6)
  assert sprt.describe(880, 759, 1863) == \
      "SPRT: llr 2.95 (100.1%), lbound -2.94, ubound 2.94 - H1 was accepted"
  assert sprt.describe(0, 0, 0) == "SPRT: llr 0 (0.0%), lbound -2.94, ubound 2.94"
  assert sprt.decide(0, 0, 0) is None
  assert ratings.Sprt(0, 10).describe(200, 260, 300).endswith(" - H0 was accepted")


def _run_sprt(sprt, rng, elo, draw_ratio, max_games=20_000):
  """Plays games of true `elo` until the test decides; returns (decision, games)."""
  p = _expected_score(elo)
  probabilities = [p - draw_ratio / 2, 1 - p - draw_ratio / 2, draw_ratio]
  counts = np.zeros(3, int)
  for games in range(1, max_games + 1):
    counts[rng.choice(3, p=probabilities)] += 1
    decision = sprt.decide(*counts)
    if decision:
      return decision, games
  return None, max_games


@pytest.mark.parametrize("elo, expected", [(20.0, "H1"), (0.0, "H0")])
def test_sprt_accepts_the_hypothesis_a_stream_is_drawn_from(elo, expected):
  decision, games = _run_sprt(ratings.Sprt(0, 20), np.random.default_rng(7), elo, draw_ratio=0.3)
  assert decision == expected
  assert 100 < games < 5000


@pytest.mark.slow
def test_sprt_error_rates_stay_near_alpha_and_beta():
  sprt = ratings.Sprt(0, 40, alpha=0.1, beta=0.1)
  rng = np.random.default_rng(11)
  wrong_h1 = sum(_run_sprt(sprt, rng, 0.0, 0.2)[0] == "H1" for _ in range(150))
  wrong_h0 = sum(_run_sprt(sprt, rng, 40.0, 0.2)[0] == "H0" for _ in range(150))
  # Wald's bounds keep each error near alpha = beta = 10%, 15 of 150 (measured: 15 and 17); 25 is 3 sd out.
  assert wrong_h1 <= 25 and wrong_h0 <= 25


# ----------------------------------------------------------------------------
# parse_sprt


def test_parse_sprt():
  assert ratings.parse_sprt("0,10") == ratings.Sprt(0.0, 10.0, 0.05, 0.05)
  assert ratings.parse_sprt(" -3, 1 ,0.1,0.2") == ratings.Sprt(-3.0, 1.0, 0.1, 0.2)


@pytest.mark.parametrize("text, message", [
    ("", "want ELO0,ELO1 or ELO0,ELO1,ALPHA,BETA"),
    ("10", "want ELO0,ELO1 or ELO0,ELO1,ALPHA,BETA"),
    ("0,10,0.05", "want ELO0,ELO1 or ELO0,ELO1,ALPHA,BETA"),
    ("0,ten", "'ten' is not a number"),
    ("10,0", "elo0 must be below elo1, got 10 and 0"),
    ("5,5", "elo0 must be below elo1"),
    ("0,10,0,0.05", "alpha and beta must lie in (0, 1)"),
    ("0,10,0.6,0.5", "alpha + beta < 1"),
    ("nan,10", "must be finite"),
])
def test_parse_sprt_errors_are_one_line(text, message):
  with pytest.raises(UserError) as error:
    ratings.parse_sprt(text)
  assert str(error.value).startswith(f"--sprt {text!r}: ")
  assert message in str(error.value) and "\n" not in str(error.value)
