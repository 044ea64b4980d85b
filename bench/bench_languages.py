"""Languages: Whisper `base` (multilingual, the `whisper-base` extra) against `tiny.en` on the same
English files (WER, real-time factor), and `base`'s language detection on a German clip
synthesised with espeak-ng.

Each model runs in a fresh subprocess with the model loaded before the clock starts, with recap's
default options (int8, beam 5, VAD, 5-minute windows).

    python bench/bench_languages.py            # sample + ../shared/data/speech files
    python bench/bench_languages.py --quick    # the sample and jfk.wav only
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

MODELS = ("tiny.en", "base")
GERMAN = ("Guten Morgen und herzlich willkommen zu unserem Podcast. Heute sprechen wir über "
          "Bienen in der Stadt. Auf vielen Dächern in Berlin stehen inzwischen Bienenstöcke, und "
          "die Imker ernten jedes Jahr mehrere hundert Kilo Honig. Warum geht es den Bienen in "
          "der Stadt oft besser als auf dem Land? Weil dort weniger Pestizide gespritzt werden "
          "und das ganze Jahr über etwas blüht.")


def worker(model: str, paths: list[str], out: str) -> None:
    from recap import media
    from recap.transcribe import TranscribeOptions, iter_segments, load_model

    options = TranscribeOptions(model=model)
    whisper = load_model(options.model, options.device, options.compute_type)
    results = []
    for path in paths:
        language: dict[str, str] = {}
        started, cpu_started = time.monotonic(), time.process_time()
        segments = list(iter_segments(Path(path), options, language_out=language))
        seconds, cpu = time.monotonic() - started, time.process_time() - cpu_started
        audio = common.decode_all(Path(path))
        probability = None
        if getattr(whisper.model, "is_multilingual", False):
            _, probability, _ = whisper.detect_language(audio[: 30 * media.SAMPLE_RATE])
        results.append({"path": path, "seconds": seconds, "cpu_seconds": cpu,
                        "audio_seconds": len(audio) / media.SAMPLE_RATE,
                        "language": language.get("language"), "probability": probability,
                        "text": " ".join(s.text for s in segments)})
    Path(out).write_text(json.dumps(results))


def inputs(quick: bool) -> list[tuple[str, Path, str | None]]:
    """(name, audio, reference text or None) for each file measured."""
    files = [("city-bees.mp3 (sample)", common.ROOT / "samples" / "city-bees.mp3",
              (common.ROOT / "samples" / "city-bees.reference.txt").read_text())]
    speech = common.speech_dir()
    names = ("jfk",) if quick else ("jfk", "librivox_sonnet1", "asterisk_allison_long")
    for name in names:
        if speech is not None:
            audio = next(p for p in speech.glob(f"{name}.*") if p.suffix in (".wav", ".flac"))
            files.append((audio.name, audio, (speech / f"{name}.txt").read_text()))
        elif name == "jfk":
            files.append(("jfk.wav", common.ROOT / "tests" / "data" / "jfk.wav",
                          (common.ROOT / "tests" / "data" / "jfk.txt").read_text()))
    return files


def german_clip(folder: Path) -> Path | None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        print("espeak-ng not found: no German clip")
        return None
    path = folder / "german-espeak.wav"
    subprocess.run([espeak, "-v", "de", "-s", "150", GERMAN, "-w", str(path)], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        model, out, *paths = args.worker
        worker(model, paths, out)
        return
    info = common.machine()
    print(f"machine: {common.describe(info)}")
    files = inputs(args.quick)
    with tempfile.TemporaryDirectory() as tmp:
        german = german_clip(Path(tmp))
        if german is not None:
            files.append(("German espeak-ng clip", german, None))
        table: dict[str, dict[str, dict]] = {}
        for model in MODELS:
            out = Path(tmp) / f"{model}.json"
            subprocess.run([sys.executable, __file__, "--worker", model, str(out),
                            *(str(path) for _, path, _ in files)], check=True)
            for (name, _path, reference), result in zip(files, json.loads(out.read_text()),
                                                        strict=True):
                row = {"rtf": round(result["audio_seconds"] / result["seconds"], 1),
                       "seconds": round(result["seconds"], 1),
                       "cpu_rtf": round(result["audio_seconds"] / result["cpu_seconds"], 1),
                       "language": result["language"], "probability": result["probability"]}
                if reference is not None:
                    row["wer"] = round(common.wer(reference, result["text"]), 2)
                else:
                    row["text"] = result["text"]
                table.setdefault(name, {})[model] = row
    for name, rows in table.items():
        for model, row in rows.items():
            extra = (f"WER {row['wer']:.2f} %" if "wer" in row else
                     f"language {row['language']} (p={row['probability'] or 0:.2f})")
            print(f"{name:32} {model:8} {row['rtf']:5.1f}x real time "
                  f"({row['cpu_rtf']:4.1f}x per CPU second)  {extra}")
    path = common.save_result("languages", {"machine": info, "results": table})
    print(f"saved {path}")


if __name__ == "__main__":
    main()
