"""Elo ratings fitted to all games at once, cutechess-style match statistics, and the SPRT.

Three pure tools that the match and tournament runners call:

- `fit(results)`: Bradley-Terry ratings on the Elo scale by maximum
  likelihood over every game of a tournament, with 95% intervals and the
  likelihood of superiority (LOS) between neighbours in the table.
- `match_summary(wins, losses, draws)`: the line cutechess-cli prints after a
  two-agent match, `Elo difference: 12.0 +/- 7.9, LOS: 99.9 %, DrawRatio: 53.2 %`.
- `Sprt(elo0, elo1)`: the sequential probability ratio test that stops a match
  as soon as the games decide between "at most elo0 better" (H0) and "at least
  elo1 better" (H1); `parse_sprt` reads its `ELO0,ELO1[,ALPHA,BETA]` flag.

All Elo here is logistic Elo: a difference of D points means an expected
score of 1 / (1 + 10^(-D/400)).
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from typing import Iterable, Literal

import numpy as np
from scipy import optimize, sparse, special
from scipy.sparse import csgraph

from core.errors import UserError

ELO_PER_NAT = 400 / math.log(10)  # Elo points per unit of natural log-odds: 173.72
_Z95 = statistics.NormalDist().inv_cdf(0.975)  # 1.959964


# ----------------------------------------------------------------------------
# Ratings of many agents, fitted to all games at once.


@dataclasses.dataclass(frozen=True)
class Rating:
  """One row of the ratings table.

  `elo`, `ci_low` and `ci_high` are relative to the anchor, whose own interval
  is its fixed value. `score` is the points the agent took (a draw is half a
  point) in `games` games. `los_next` is the probability that this agent is
  stronger than the next one down the table; None for the last.
  """
  agent: str
  elo: float
  ci_low: float
  ci_high: float
  games: int
  score: float
  draws: int
  los_next: float | None


@dataclasses.dataclass(frozen=True, eq=False)
class Fit:
  """A whole fit: the table, and the covariance that its intervals and LOS come from.

  `agents` orders the rows and columns of `covariance` (Elo squared; read-only),
  in the order the agents first appear in the results; the anchor's row and
  column are zero. `regularised` says the virtual draws of `fit` were added.
  """
  ratings: tuple[Rating, ...]
  agents: tuple[str, ...]
  covariance: np.ndarray
  anchor: str | None
  regularised: bool

  def los(self, a: str, b: str) -> float:
    """Likelihood of superiority: the probability that `a` is stronger than `b`.

    From the normal approximation of the fitted ratings:
    Phi((elo_a - elo_b) / sd(elo_a - elo_b)), as KataGo's `elo.py` computes it.
    """
    elo = {r.agent: r.elo for r in self.ratings}
    i, j = self.agents.index(a), self.agents.index(b)
    c = self.covariance
    return _los(elo[a] - elo[b], c[i, i] + c[j, j] - 2 * c[i, j])


def fit(results: Iterable[tuple[str, str, float]], anchor: str | None = None,
        anchor_elo: float = 0.0) -> list[Rating]:
  """Elo ratings of every agent by maximum likelihood over all games; see `fit_with_covariance`."""
  return list(fit_with_covariance(results, anchor, anchor_elo).ratings)


def fit_with_covariance(results: Iterable[tuple[str, str, float]], anchor: str | None = None,
                        anchor_elo: float = 0.0) -> Fit:
  """Bradley-Terry ratings on the Elo scale, fitted by maximum likelihood to all games at once.

  The model: agent i scores against agent j with expected score
  1 / (1 + 10^(-(elo_i - elo_j)/400)). A draw enters as half a win and half a
  loss (log-likelihood 0.5 log p + 0.5 log(1 - p)), which is what scoring it
  half a point means; no separate draw parameter is fitted.

  The log-likelihood is concave, so its maximum is the one solution of the
  likelihood equations: every agent's expected points equal its points.
  `scipy.optimize.root` (MINPACK's Levenberg-Marquardt) solves them with the
  exact Hessian as Jacobian. A root finder rather than a minimiser, because
  the gradient stays accurate to the last digit at the optimum, where changes
  in the log-likelihood itself drown in rounding and stop `minimize` early.
  scipy rather than `choix`: scipy is already installed (JAX needs it), the
  problem needs nothing beyond Newton-type steps, and the same Hessian gives
  the intervals; `choix` scores no half-point draws and returns no covariance.

  Intervals are Wald intervals from the Hessian: the observed Fisher
  information with the anchor's rating held fixed is inverted into the
  covariance of the others, and each interval is elo +/- 1.96 sd. They are
  therefore relative to the anchor. Because a draw scores like half a win and
  half a loss, a game with a draw varies less than the model assumes, so where
  draws are common the intervals are somewhat wider than they need to be
  (conservative); with few draws they cover about 95%.

  The maximum-likelihood ratings are finite only when every agent both took
  and gave up points within each group that decides its rating: formally,
  when the graph "i took points from j" is strongly connected. An agent that
  won, or lost, every game has no finite estimate. Only then, the fit adds one
  virtual draw between every other agent and the anchor, the weakest prior that
  makes every rating finite, and sets `Fit.regularised`. Games, score and
  draws in the table count real games only.

  Args:
    results: games as (first, second, score), `score` being the first agent's
      1, 0.5 or 0. Seats play no part in the model.
    anchor: the agent whose rating is fixed to `anchor_elo`; by default the
      first agent to appear in `results`.
    anchor_elo: the anchor's rating.

  Returns:
    A `Fit` whose `ratings` are sorted by Elo, strongest first. No results give
    an empty table.

  Raises:
    ValueError: a score other than 1, 0.5 or 0; a game of an agent against
      itself; an anchor that played no game.
  """
  agents, games, points, draws = _tally(results)
  n = len(agents)
  if anchor is not None and anchor not in agents:
    raise ValueError(f"the anchor {anchor!r} played no game")
  if n == 0:
    return Fit((), (), np.zeros((0, 0)), anchor, False)
  a = agents.index(anchor) if anchor is not None else 0
  real_games, real_points = games, points

  strong, _ = csgraph.connected_components(sparse.csr_matrix(points > 0), directed=True,
                                           connection="strong")
  regularised = strong > 1
  if regularised:
    games, points = games.copy(), points.copy()
    others = np.arange(n) != a
    games[a, others] += 1
    games[others, a] += 1
    points[a, others] += 0.5
    points[others, a] += 0.5

  theta, information = _maximise(games, points, a)
  covariance = np.zeros((n, n))
  free = np.arange(n) != a
  covariance[np.ix_(free, free)] = np.linalg.inv(information) * ELO_PER_NAT**2
  covariance.setflags(write=False)
  elo = theta * ELO_PER_NAT + anchor_elo
  half = _Z95 * np.sqrt(np.diag(covariance))

  order = sorted(range(n), key=lambda i: -elo[i])  # Stable: ties keep first appearance.
  ratings = []
  for rank, i in enumerate(order):
    los_next = None
    if rank + 1 < n:
      j = order[rank + 1]
      los_next = _los(elo[i] - elo[j], covariance[i, i] + covariance[j, j] - 2 * covariance[i, j])
    ratings.append(Rating(agent=agents[i], elo=float(elo[i]), ci_low=float(elo[i] - half[i]),
                          ci_high=float(elo[i] + half[i]), games=int(real_games[i].sum()),
                          score=float(real_points[i].sum()), draws=int(draws[i]), los_next=los_next))
  return Fit(tuple(ratings), tuple(agents), covariance, agents[a], bool(regularised))


def _tally(results):
  """(agents in order of appearance, games [n, n], points [n, n] of row against column, draws [n])."""
  index: dict[str, int] = {}
  rows = []
  for first, second, score in results:
    if first == second:
      raise ValueError(f"a game of {first!r} against itself says nothing about its rating")
    score = float(score)
    if score not in (0.0, 0.5, 1.0):
      raise ValueError(f"a score is 1, 0.5 or 0 (the first agent's), not {score!r}")
    rows.append((index.setdefault(first, len(index)), index.setdefault(second, len(index)), score))
  n = len(index)
  games, points, draws = np.zeros((n, n)), np.zeros((n, n)), np.zeros(n, np.int64)
  if rows:
    i, j, s = (np.array(column) for column in zip(*rows))
    np.add.at(games, (i, j), 1)
    np.add.at(games, (j, i), 1)
    np.add.at(points, (i, j), s)
    np.add.at(points, (j, i), 1 - s)
    np.add.at(draws, i, s == 0.5)
    np.add.at(draws, j, s == 0.5)
  return list(index), games, points, draws


def _maximise(games, points, anchor):
  """The maximum-likelihood log-odds ratings (anchor at 0), and the Hessian of the free ones.

  With sigma_ij = expit(theta_i - theta_j), the negative log-likelihood is
  -sum_ij points_ij log sigma_ij. Its gradient is expected minus actual
  points, sum_j games_ij sigma_ij - points_ij, and its Hessian the weighted
  Laplacian of w_ij = games_ij sigma_ij (1 - sigma_ij), which depends on no
  outcome, so observed and expected information are the same.
  """
  n = len(games)
  free = np.arange(n) != anchor

  def sigma(x):
    theta = np.zeros(n)
    theta[free] = x
    return special.expit(theta[:, None] - theta[None, :])

  def gradient(x):
    return (np.sum(games * sigma(x), axis=1) - np.sum(points, axis=1))[free]

  def hessian(x):
    s = sigma(x)
    w = games * s * (1 - s)
    return (np.diag(w.sum(axis=1)) - w)[np.ix_(free, free)]

  result = optimize.root(gradient, np.zeros(n - 1), jac=hessian, method="lm")
  # A millionth of a point per game leaves every rating within 1e-5 Elo of the optimum.
  if not result.success or np.max(np.abs(gradient(result.x)), initial=0) > 1e-6 * max(1, games.max()):
    raise RuntimeError(f"the rating fit did not converge: {result.message}")
  theta = np.zeros(n)
  theta[free] = result.x
  return theta, hessian(result.x)


def _los(difference: float, variance: float) -> float:
  """P(true difference > 0) for an estimate with this difference and variance."""
  if variance <= 0:
    return 1.0 if difference > 0 else 0.0 if difference < 0 else 0.5
  return statistics.NormalDist().cdf(difference / math.sqrt(variance))


# ----------------------------------------------------------------------------
# One match of two agents, as cutechess-cli reports it.

# cutechess computes its interval's normal quantile with an approximation of
# the inverse error function (Winitzki's; `Elo::erfInv` in
# projects/lib/src/elo.cpp): 1.95716 where the exact quantile is 1.95996. The
# same constant here makes every line match cutechess's digit for digit.
def _cutechess_phi_inv(p: float) -> float:
  x = 2 * p - 1
  a = 8 * (math.pi - 3) / (3 * math.pi * (4 - math.pi))
  y = math.log(1 - x * x)
  z = 2 / (math.pi * a) + y / 2
  return math.copysign(math.sqrt(math.sqrt(z * z - y / a) - z), x) * math.sqrt(2)


_CUTECHESS_Z975 = _cutechess_phi_inv(0.975)


@dataclasses.dataclass(frozen=True)
class MatchSummary:
  """The statistics of one match, from the first agent's side; `str()` is cutechess's line.

  `elo` is the Elo difference the mean score implies, `error` the half-width
  of its 95% interval, `los` the likelihood of superiority and `draw_ratio`
  the share of draws, the last two as fractions. All wins give elo inf and all
  losses -inf, with error nan (no interval exists); no games give nan
  throughout. Formatting follows cutechess, so those print as `inf` and `nan`.
  """
  wins: int
  losses: int
  draws: int
  elo: float
  error: float
  los: float
  draw_ratio: float

  @property
  def games(self) -> int:
    return self.wins + self.losses + self.draws

  def __str__(self) -> str:
    return (f"Elo difference: {self.elo:.1f} +/- {self.error:.1f}, LOS: {100 * self.los:.1f} %, "
            f"DrawRatio: {100 * self.draw_ratio:.1f} %")


def match_summary(wins: int, losses: int, draws: int) -> MatchSummary:
  """cutechess-cli's statistics of a match of `wins`, `losses` and `draws` (the first agent's).

  Followed from cutechess's projects/lib/src/elo.cpp (`Elo::Elo`,
  `Elo::diff`, `Elo::errorMargin`, `Elo::LOS`):

  - mu = (wins + draws/2) / n is the mean score, and the Elo difference
    -400 log10(1/mu - 1);
  - sd = sqrt(w (1 - mu)^2 + l mu^2 + d (1/2 - mu)^2) / sqrt(n), with w, l, d
    the shares of wins, losses and draws: the standard error of the mean of a
    trinomial per-game score;
  - error = (Elo(mu + z sd) - Elo(mu - z sd)) / 2, z the 97.5% normal quantile
    as cutechess approximates it (1.95716); nan where mu +/- z sd leaves
    [0, 1], as in cutechess;
  - LOS = 1/2 (1 + erf((wins - losses) / sqrt(2 (wins + losses)))); 1/2 when
    no game was decisive (cutechess prints nan there).
  """
  if min(wins, losses, draws) < 0:
    raise ValueError(f"a match's counts cannot be negative: {wins}, {losses}, {draws}")
  n = wins + losses + draws
  if n == 0:
    nan = math.nan
    return MatchSummary(wins, losses, draws, elo=nan, error=nan, los=nan, draw_ratio=nan)
  w, l, d = wins / n, losses / n, draws / n
  mu = w + d / 2
  sd = math.sqrt(w * (1 - mu)**2 + l * mu**2 + d * (0.5 - mu)**2) / math.sqrt(n)
  error = (_score_to_elo(mu + _CUTECHESS_Z975 * sd) - _score_to_elo(mu - _CUTECHESS_Z975 * sd)) / 2
  decisive = wins + losses
  los = 0.5 * (1 + math.erf((wins - losses) / math.sqrt(2 * decisive))) if decisive else 0.5
  return MatchSummary(wins, losses, draws, elo=_score_to_elo(mu), error=error, los=los, draw_ratio=d)


def _score_to_elo(p: float) -> float:
  """The logistic Elo difference of an expected score: +/-inf at 1 and 0, nan outside [0, 1]."""
  if not 0 <= p <= 1:
    return math.nan
  if p == 1:
    return math.inf
  if p == 0:
    return -math.inf
  return -400 * math.log10(1 / p - 1) + 0.0  # + 0.0 turns -0.0 into 0.0.


# ----------------------------------------------------------------------------
# The sequential probability ratio test.


@dataclasses.dataclass(frozen=True)
class Sprt:
  """A sequential test of H0 "elo <= elo0" against H1 "elo >= elo1", in logistic Elo.

  `alpha` is the chance of accepting H1 when H0 holds, `beta` that of
  accepting H0 when H1 holds. Play goes on while `lower < llr < upper`
  (Wald's bounds, as cutechess sets them in projects/lib/src/sprt.cpp).
  """
  elo0: float
  elo1: float
  alpha: float = 0.05
  beta: float = 0.05

  def __post_init__(self):
    if not all(math.isfinite(x) for x in (self.elo0, self.elo1, self.alpha, self.beta)):
      raise ValueError("elo0, elo1, alpha and beta must be finite numbers")
    if not self.elo0 < self.elo1:
      raise ValueError(f"elo0 must be below elo1, got {self.elo0:g} and {self.elo1:g}")
    if not (0 < self.alpha < 1 and 0 < self.beta < 1 and self.alpha + self.beta < 1):
      raise ValueError(f"alpha and beta must lie in (0, 1) with alpha + beta < 1, "
                       f"got {self.alpha:g} and {self.beta:g}")

  @property
  def lower(self) -> float:
    """log(beta / (1 - alpha)): below it, H0 is accepted."""
    return math.log(self.beta / (1 - self.alpha))

  @property
  def upper(self) -> float:
    """log((1 - beta) / alpha): above it, H1 is accepted."""
    return math.log((1 - self.beta) / self.alpha)

  def llr(self, wins: int, losses: int, draws: int) -> float:
    """The generalised log-likelihood ratio of H1 against H0 after these games.

    As fishtest computes it for logistic Elo (`LLR_logistic` in
    server/fishtest/stats/LLRcalc.py, after Van den Bergh's
    support_MLE_multinomial.pdf): the per-game score is trinomial on
    {0, 1/2, 1}; under each hypothesis the trinomial is the maximum-likelihood
    one whose expected score is 1 / (1 + 10^(-elo/400)), found from the
    secular equation; the LLR is the sum over games of log p1 / p0. A count of
    zero is replaced by 0.001 first, as fishtest does, so the test also runs
    on games without draws (Go). cutechess 1.2 instead converts the bounds to
    BayesElo with a draw rate estimated from the games and waits for at least
    one win, loss and draw; the two agree to about 0.01 on long matches.
    """
    if wins + losses + draws == 0:
      return 0.0
    counts = np.array([losses, draws, wins], float)
    counts[counts == 0] = 1e-3
    n = counts.sum()
    observed = counts / n
    p0 = _mle_with_expected_score(observed, _elo_to_score(self.elo0))
    p1 = _mle_with_expected_score(observed, _elo_to_score(self.elo1))
    return float(n * np.sum(observed * (np.log(p1) - np.log(p0))))

  def decide(self, wins: int, losses: int, draws: int) -> Literal["H1", "H0"] | None:
    """"H1" once the LLR is above `upper`, "H0" once below `lower`, else None: play on."""
    return self._verdict(self.llr(wins, losses, draws))

  def describe(self, wins: int, losses: int, draws: int) -> str:
    """cutechess's SPRT line: `SPRT: llr 2.95 (100.1%), lbound -2.94, ubound 2.94 - H1 was accepted`.

    The percentage is llr / upper, and numbers have three significant digits,
    as in cutechess's projects/lib/src/tournament.cpp.
    """
    llr = self.llr(wins, losses, draws) + 0.0  # + 0.0 turns -0.0 into 0.0.
    line = (f"SPRT: llr {llr:.3g} ({llr / self.upper * 100:.1f}%), "
            f"lbound {self.lower:.3g}, ubound {self.upper:.3g}")
    verdict = self._verdict(llr)
    return line + (f" - {verdict} was accepted" if verdict else "")

  def _verdict(self, llr: float) -> Literal["H1", "H0"] | None:
    return "H1" if llr > self.upper else "H0" if llr < self.lower else None


def _elo_to_score(elo: float) -> float:
  return 1 / (1 + 10**(-elo / 400))


def _mle_with_expected_score(observed: np.ndarray, s: float) -> np.ndarray:
  """The trinomial on scores (0, 1/2, 1) nearest `observed` in likelihood whose mean is `s`.

  Its probabilities are observed_i / (1 + x (a_i - s)), with x the root of
  the secular equation sum_i observed_i (a_i - s) / (1 + x (a_i - s)) = 0 in
  the interval where every denominator stays positive; the left side falls
  from +inf to -inf across it.
  """
  b = np.array([0.0, 0.5, 1.0]) - s
  low, high = -1 / b.max(), -1 / b.min()
  # Near each end one term, observed_i / (x - end), outweighs the others
  # (bounded by about 2) once closer than observed_i / 2.
  margin = 1e-6 * observed.min() * (high - low)
  x = optimize.brentq(lambda x: np.sum(observed * b / (1 + x * b)), low + margin, high - margin,
                      xtol=1e-15)
  return observed / (1 + x * b)


def parse_sprt(text: str) -> Sprt:
  """An `Sprt` from `ELO0,ELO1` or `ELO0,ELO1,ALPHA,BETA` (alpha and beta default to 0.05).

  Raises:
    UserError: with one line that says what is wrong.
  """
  want = "want ELO0,ELO1 or ELO0,ELO1,ALPHA,BETA, e.g. 0,10 or 0,10,0.05,0.05"
  parts = [part.strip() for part in str(text).split(",")]
  if len(parts) not in (2, 4):
    raise UserError(f"--sprt {text!r}: {want}")
  numbers = []
  for part in parts:
    try:
      numbers.append(float(part))
    except ValueError:
      raise UserError(f"--sprt {text!r}: {part!r} is not a number; {want}") from None
  try:
    return Sprt(*numbers)
  except ValueError as error:
    raise UserError(f"--sprt {text!r}: {error}") from None
