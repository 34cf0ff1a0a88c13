"""The `stratago play` server: a Starlette app on uvicorn, one WebSocket per open page.

  app = make_app(Options(game="go(board_size=9)", agent="random"), token="t0k3n")
  serve(options)        # binds, prints the URL with its token, opens the browser, runs until Ctrl-C

Safe by default: every HTTP request and WebSocket carries the server's random
token (in the URL's `token`, or the cookie the page gets with it), the Host
header must name this server (Starlette's TrustedHostMiddleware: no DNS
rebinding), and a WebSocket's Origin must be this server's own page. The page
sends small JSON requests; a malformed, oversized or refused one gets an
`error` event and leaves the game as it was. No file path is taken from the page.

Events the server sends: `hello` (the game, the mode), `setup` (Stratego's
setup editor), `state` (the person's view, see `gui.session`), `thinking`
(the agent is deciding), `error` (why a request was refused), `replay` (a
saved game's frames).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import json
import pathlib
import secrets
from typing import Any

import anyio
import pyspiel
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from agents import specs
from core.errors import UserError
from gui import session as sessions

STATIC = pathlib.Path(__file__).parent / "static"
# Sent with the page: it loads nothing from elsewhere and no other page may frame it.
PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
                "Content-Security-Policy": "default-src 'self'; connect-src 'self'; frame-ancestors 'none'"}


def cookie_name(port: int) -> str:
  """The token's cookie: one per port, as cookies ignore ports and two servers may run side by side."""
  return f"stratago_token_{port}"


@dataclasses.dataclass(frozen=True)
class Options:
  """What `stratago play` serves.

  Attributes:
    game: the game string, `stratego(...)` or `go(...)`.
    agent: the agent spec (see `agents.specs`).
    host, port: where to listen.
    setups: the person's saved Stratego setups (40 letters each), offered in the setup editor.
    replay: frames of a saved game to show instead of a live game (see `gui.replay`).
    seed: seeds the agent and the game's chance (a new game adds one).
  """
  game: str
  agent: str = "random"
  host: str = "127.0.0.1"
  port: int = 8765
  setups: tuple[str, ...] = ()
  replay: dict[str, Any] | None = None
  seed: int = 0


def make_app(options: Options, token: str) -> Starlette:
  """The ASGI app for `options`; every request must carry `token`."""
  game = pyspiel.load_game(options.game)
  counter = iter(range(options.seed, 2**31))

  async def index(request):
    html = (STATIC / "index.html").read_text().replace("{{TOKEN}}", token)
    response = HTMLResponse(html, headers=PAGE_HEADERS)
    response.set_cookie(cookie_name(request.url.port or options.port), token, httponly=True, samesite="strict")
    return response

  async def socket(websocket: WebSocket):
    await websocket.accept()
    try:
      await _play(websocket, options, game, next(counter))
    except WebSocketDisconnect:
      pass

  # A wildcard bind serves any name this machine has; the token still guards every request.
  hosts = ["*"] if options.host in ("0.0.0.0", "::") else sorted({_url_host(options.host), "127.0.0.1",
                                                                   "localhost", "[::1]"})
  return Starlette(
      routes=[Route("/", index), WebSocketRoute("/ws", socket),
              Mount("/static", StaticFiles(directory=STATIC), name="static")],
      middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
                  Middleware(_Guard, token=token, port=options.port)])


class _Guard:
  """ASGI middleware: the token on every request; a WebSocket's Origin must be this server."""

  def __init__(self, app, token: str, port: int):
    self.app, self.token, self.port = app, token, port

  async def __call__(self, scope, receive, send):
    if scope["type"] not in ("http", "websocket"):
      return await self.app(scope, receive, send)
    from starlette.requests import HTTPConnection
    conn = HTTPConnection(scope)
    given = conn.query_params.get("token") or conn.cookies.get(cookie_name(conn.url.port or self.port)) or ""
    if not hmac.compare_digest(given.encode(), self.token.encode()):
      return await _refuse(scope, receive, send, 403, "missing or wrong token: open the URL `stratago play` printed")
    origin = conn.headers.get("origin")
    if scope["type"] == "websocket" or origin is not None:
      if origin != f"{conn.url.scheme.replace('ws', 'http')}://{conn.headers.get('host', '')}":
        return await _refuse(scope, receive, send, 403, "cross-origin request refused")
    return await self.app(scope, receive, send)


async def _refuse(scope, receive, send, status: int, text: str) -> None:
  if scope["type"] == "websocket":
    await WebSocket(scope, receive, send).close(code=1008, reason=text)
  else:
    await PlainTextResponse(text, status_code=status)(scope, receive, send)


async def _play(websocket: WebSocket, options: Options, game: pyspiel.Game, seed: int) -> None:
  """Runs one page's games until it disconnects."""
  await websocket.send_json({"type": "hello", "game": game.get_type().short_name, "name": options.game,
                             "agent": options.agent, "mode": "replay" if options.replay else "play"})
  if options.replay is not None:
    await websocket.send_json({"type": "replay", **options.replay})
    while True:  # a replay takes no requests
      if (await websocket.receive())["type"] == "websocket.disconnect":
        return
  try:
    agent = await anyio.to_thread.run_sync(specs.make_agent, options.agent, game, seed)
  except UserError as e:
    await websocket.send_json({"type": "error", "message": str(e)})
    await websocket.close()
    return
  try:
    human = 0
    session = sessions.session_for(game, agent, human, seed, **_extra(game, options))
    await _start(websocket, session)
    while True:
      message = await _receive(websocket)
      if message is None:
        continue
      try:
        if message.get("type") == "view":  # the page asks for the position again
          await _send_view(websocket, session)
          continue
        if message.get("type") == "new":
          side = message.get("side", human)
          if type(side) is not int or side not in (0, 1):
            raise sessions.MoveError("side must be 0 (Red, Black) or 1 (Blue, White)")
          human = side
          seed += 1
          agent.reset()
          session = sessions.session_for(game, agent, human, seed, **_extra(game, options))
          await _start(websocket, session)
          continue
        session.human(message)
      except sessions.MoveError as e:
        await websocket.send_json({"type": "error", "message": str(e)})
        continue
      await _agent_moves(websocket, session)
  finally:
    await anyio.to_thread.run_sync(agent.close)


def _extra(game: pyspiel.Game, options: Options) -> dict[str, Any]:
  return {"setups": options.setups} if game.get_type().short_name == "stratego" else {}


async def _start(websocket: WebSocket, session: sessions.Session) -> None:
  if isinstance(session, sessions.StrategoSession) and session.setup is None:
    await websocket.send_json(session.setup_info())
  await _agent_moves(websocket, session)


async def _send_view(websocket: WebSocket, session: sessions.Session) -> None:
  """Sends the person's view, made off the event loop (scoring a finished Go game may ask GNU Go)."""
  await websocket.send_json(await anyio.to_thread.run_sync(session.view))


async def _agent_moves(websocket: WebSocket, session: sessions.Session) -> None:
  """Sends the view, then lets the agent play (off the event loop) while it is to move."""
  await _send_view(websocket, session)
  while session.agent_to_move():
    await websocket.send_json({"type": "thinking"})
    await anyio.to_thread.run_sync(session.agent_move)
    if not session.agent_to_move():
      await _send_view(websocket, session)


async def _receive(websocket: WebSocket) -> dict[str, Any] | None:
  """The next request as a dict, or None after answering a bad one with an `error` event."""
  message = await websocket.receive()
  if message["type"] == "websocket.disconnect":
    raise WebSocketDisconnect(message.get("code", 1000))
  text = message.get("text")
  if text is None:
    await websocket.send_json({"type": "error", "message": "requests are JSON text"})
    return None
  if len(text) > sessions.MAX_MESSAGE_CHARS:
    await websocket.send_json({"type": "error", "message": f"request over {sessions.MAX_MESSAGE_CHARS} characters"})
    return None
  try:
    request = json.loads(text)
  except (ValueError, RecursionError):  # RecursionError: brackets nested thousands deep
    await websocket.send_json({"type": "error", "message": "a request is one JSON object"})
    return None
  if not isinstance(request, dict) or not isinstance(request.get("type"), str):
    await websocket.send_json({"type": "error", "message": "a request is a JSON object with a string 'type'"})
    return None
  return request


def new_token() -> str:
  return secrets.token_urlsafe(18)


def serve(options: Options, open_browser: bool = True, ready=None) -> None:
  """Serves until interrupted: prints the URL (with the token) and opens it in the browser."""
  import socket
  import uvicorn
  with socket.socket(socket.AF_INET6 if ":" in options.host else socket.AF_INET) as probe:
    try:
      probe.bind((options.host, options.port))
    except OSError as e:
      raise UserError(f"cannot listen on {options.host}:{options.port}: {e.strerror}; choose another --port") from None
  token = new_token()
  app = make_app(options, token)
  shown = socket.gethostname() if options.host in ("0.0.0.0", "::") else options.host
  url = f"http://{_url_host(shown)}:{options.port}/?token={token}"
  config = uvicorn.Config(app, host=options.host, port=options.port, log_level="warning",
                          ws_max_size=1 << 20, lifespan="off")
  server = uvicorn.Server(config)
  opened: list[str] = []  # the browser's redirect file, removed when the server stops

  async def main():
    task = asyncio.create_task(server.serve())
    while not server.started:
      if task.done():
        return await task
      await asyncio.sleep(0.05)
    print(f"stratago play: {options.game} against {options.agent} at {url}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    if open_browser:
      opened.append(_open_browser(url))
    if ready is not None:
      ready(url)
    await task

  try:
    asyncio.run(main())
  except KeyboardInterrupt:
    pass
  except SystemExit:  # uvicorn exits when it cannot bind after all (a race with another program)
    raise UserError(f"cannot listen on {options.host}:{options.port}; choose another --port") from None
  finally:
    for path in opened:
      pathlib.Path(path).unlink(missing_ok=True)


def _open_browser(url: str) -> str:
  """Opens `url` through a redirect file only this user can read (Jupyter's way): a URL given to the
  browser's command line, token and all, would show in every local user's process list."""
  import os
  import tempfile
  import webbrowser
  fd, path = tempfile.mkstemp(prefix="stratago-play-", suffix=".html")  # mode 0600
  with os.fdopen(fd, "w") as f:
    f.write(f'<!doctype html><meta http-equiv="refresh" content="0;url={url}"><a href="{url}">stratago play</a>\n')
  webbrowser.open(f"file://{path}")
  return path


def _url_host(host: str) -> str:
  return f"[{host}]" if ":" in host else host


class Background:
  """The server on a thread, for tests and benchmarks: `with Background(options) as url: ...`.

  The port is `options.port`; pass 0 to let the system pick a free one.
  """

  def __init__(self, options: Options):
    self.options = options
    self.token = new_token()

  def __enter__(self) -> str:
    import threading
    import uvicorn
    config = uvicorn.Config(make_app(self.options, self.token), host=self.options.host, port=self.options.port,
                            log_level="warning", ws_max_size=1 << 20, lifespan="off")
    self.server = uvicorn.Server(config)
    self.thread = threading.Thread(target=self.server.run, daemon=True)
    self.thread.start()
    while not self.server.started:
      if not self.thread.is_alive():
        raise UserError(f"cannot listen on {self.options.host}:{self.options.port}")
      import time
      time.sleep(0.02)
    port = self.server.servers[0].sockets[0].getsockname()[1]
    return f"http://{_url_host(self.options.host)}:{port}/?token={self.token}"

  def __exit__(self, *exc) -> None:
    self.server.should_exit = True
    self.thread.join(timeout=10)
