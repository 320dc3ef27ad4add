"""Reward functions that call an `emotionthinker serve` reward server (standard library only).

    from emotionthinker_reward import trl_reward, compute_score

* ``trl_reward(completions, audio, emotion, **kwargs)`` -- a TRL-style reward function: TRL passes
  the completions plus the dataset's columns as keyword arguments; ``audio`` (a path under the
  server's --audio-root, or base64 bytes) and ``emotion`` (the reference label) are columns.
  Returns one float per completion (POST /get_reward).
* ``compute_score(data_source, solution_str, ground_truth, extra_info=None)`` -- verl's custom
  reward signature: ``ground_truth`` is the reference emotion (or a JSON object
  ``{"audio": ..., "emotion": ...}``); the audio comes from ``extra_info["audio"]`` otherwise.
* ``group_rewards(audio, emotion, responses, run=None, step=None)`` -- the GRPO-PTR group form
  (POST /v1/rewards): reward parts, trust, progressive gate and group advantages.

The server address comes from ``EMOTIONTHINKER_URL`` (default http://127.0.0.1:8000) and the
token from ``EMOTIONTHINKER_TOKEN``; both can be passed explicitly too.
"""
import json
import os
import urllib.error
import urllib.request

__all__ = ["RewardServerError", "RewardClient", "trl_reward", "compute_score", "group_rewards"]


class RewardServerError(RuntimeError):
    """The server answered with an error: ``status`` (HTTP), ``code`` (package error code), ``message``."""

    def __init__(self, status, code, message):
        super().__init__("reward server %s [%s]: %s" % (status, code, message))
        self.status = status
        self.code = code
        self.message = message


class RewardClient:
    def __init__(self, url=None, token=None, timeout=60.0):
        self.url = (url or os.environ.get("EMOTIONTHINKER_URL") or "http://127.0.0.1:8000").rstrip("/")
        self.token = token if token is not None else os.environ.get("EMOTIONTHINKER_TOKEN")
        self.timeout = timeout

    def post(self, route, body):
        data = json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url + route, data=data, method="POST")
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            raw = e.read().decode("utf-8", "replace")
            try:
                err = json.loads(raw)["error"]
                raise RewardServerError(e.code, err.get("code"), err.get("message")) from None
            except (ValueError, KeyError, TypeError):
                raise RewardServerError(e.code, None, raw) from None

    def get_reward(self, query, labels, prompts=None, run=None, step=None):
        body = {"query": list(query), "labels": list(labels)}
        if prompts is not None:
            body["prompts"] = list(prompts)
        if run is not None:
            body["run"] = run
        if step is not None:
            body["step"] = step
        return self.post("/get_reward", body)

    def group(self, audio, emotion, responses, run=None, step=None):
        body = {"audio": audio, "emotion": emotion, "responses": list(responses)}
        if run is not None:
            body["run"] = run
        if step is not None:
            body["step"] = step
        return self.post("/v1/rewards", body)


_default = None


def _client(client):
    global _default
    if client is not None:
        return client
    if _default is None:
        _default = RewardClient()
    return _default


def _text(completion):
    """A completion as text: TRL gives strings, or chat messages ([{"role", "content"}, ...])."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return str(completion.get("content", ""))
    if isinstance(completion, (list, tuple)) and completion:
        return _text(completion[-1])
    return ""


def _column(value, n, name):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError("%s has %d entries for %d completions" % (name, len(value), n))
        return list(value)
    return [value] * n


def _step_of(trainer_state):
    """TRL's trainer state (passed to reward functions by recent TRL versions) gives the step."""
    step = getattr(trainer_state, "global_step", None)
    return step if isinstance(step, int) and step >= 0 else None


def trl_reward(completions, audio=None, emotion=None, client=None, run=None, step=None, prompts=None, trainer_state=None, **kwargs):
    """TRL reward function: one float per completion.

    With a ``run`` (or ``EMOTIONTHINKER_RUN``), that run's progressive gate and per-group trust apply
    (the completions of one prompt form a group); the step is ``step`` or TRL's
    ``trainer_state.global_step``, so that all batches of one optimisation step are pooled.
    """
    n = len(completions)
    if audio is None or emotion is None:
        raise ValueError("trl_reward needs the dataset columns 'audio' and 'emotion'")
    audios = _column(audio, n, "audio")
    emotions = _column(emotion, n, "emotion")
    labels = [{"audio": a, "emotion": e} for a, e in zip(audios, emotions)]
    run = run if run is not None else os.environ.get("EMOTIONTHINKER_RUN") or None
    if run is not None:
        if step is None:
            step = _step_of(trainer_state)
        # The prompt names each completion's group (TRL's completions never contain it, so it is
        # not sent as OpenRLHF's prompts, whose prefix the server strips from the query).
        if prompts is not None:
            for label, p in zip(labels, _column(prompts, n, "prompts")):
                label["group"] = p if isinstance(p, str) else json.dumps(p, sort_keys=True)
    out = _client(client).get_reward([_text(c) for c in completions], labels, run=run, step=step if run is not None else None)
    return [float(r) for r in out["rewards"]]


def compute_score(data_source, solution_str, ground_truth, extra_info=None, client=None):
    """verl custom reward: the GRPO-PTR reward of one response."""
    label = ground_truth
    if isinstance(ground_truth, str):
        try:
            parsed = json.loads(ground_truth)
            if isinstance(parsed, dict):
                label = parsed
        except ValueError:
            pass
    if not isinstance(label, dict):
        label = {"emotion": ground_truth}
    label = dict(label)
    if "audio" not in label:
        if not extra_info or "audio" not in extra_info:
            raise ValueError("compute_score needs the audio: in ground_truth {'audio', 'emotion'} or extra_info['audio']")
        label["audio"] = extra_info["audio"]
    # A run (and step) for the progressive gate may come with the label or in extra_info.
    for key in ("run", "step"):
        if key not in label and extra_info and extra_info.get(key) is not None:
            label[key] = extra_info[key]
    out = _client(client).get_reward([solution_str], [label])
    return float(out["rewards"][0])


def group_rewards(audio, emotion, responses, run=None, step=None, client=None):
    """The GRPO-PTR group form: per-response parts, trust, gate state and advantages."""
    return _client(client).group(audio, emotion, responses, run=run, step=step)
