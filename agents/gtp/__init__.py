"""GTP: an engine around any Go agent, a client for outside engines, a referee, GNU Go."""

from agents.gtp.client import GtpClient, GtpCommandError, GtpEngineDied, GtpError, GtpTimeout
from agents.gtp.engine import GtpEngine
from agents.gtp.gnugo import GnuGoNotFound, find_gnugo, gnugo_command, require_gnugo
from agents.gtp.opponent import GtpAgent
from agents.gtp.referee import GameOutcome, IllegalMoveError, MatchConfig, play_game
