"""Packaging beyond what pyproject.toml can say: the shipped dialogue scripts and voices.

They stay in the repository's top-level ``scripts/`` and ``voices/`` (people read and edit
them there); a built wheel, or ``pip install .``, carries them as the package data
``voicecoach/share/scripts`` and ``voicecoach/share/voices``, where
``voicecoach.shipped`` finds them.
"""

from setuptools import find_packages, setup

SHIPPED = {"voicecoach.share.scripts": "scripts", "voicecoach.share.voices": "voices"}

setup(
    packages=find_packages(include=["voicecoach", "voicecoach.*"]) + list(SHIPPED),
    package_dir=SHIPPED,
    package_data={
        "voicecoach": ["data/*", "demo/scenarios/*.yaml"],
        "voicecoach.share.scripts": ["*.yaml"],
        "voicecoach.share.voices": ["*.onnx", "*.onnx.json", "*.md"],
    },
)
