"""Floor 2: agents that play (one interface, one spec grammar), networks, search and GTP.

  agent = make_agent("policy:runs/go9/policy.npz", game, seed=0)
  action = agent.step(state)
"""

from agents.base import Agent, Forfeit
from agents.specs import GRAMMAR, AgentSpec, make_agent, parse_spec, trained_game
