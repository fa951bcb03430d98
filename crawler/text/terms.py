"""Watched terms: the words a reporter wants to hear about, in the languages policies are written in.

Each term has a key (``biometric``) and, per language, the phrases that express it. A phrase is
matched case-insensitively at the start of a word, so ``biometric`` matches "biometrics" and
``biométri`` matches "biométriques". Matching runs on each change's added and removed text, and on
whole versions for ``policyarchive term``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WATCHED: dict[str, dict[str, list[str]]] = {
    "biometric": {
        "en": ["biometric", "faceprint", "voiceprint", "face print", "voice print", "facial geometry",
               "face geometry", "facial recognition", "face recognition", "facial features"],
        "de": ["biometrisch", "Gesichtsgeometrie", "Gesichtserkennung", "Gesichtsabdr", "Stimmabdr", "Gesichtsmerkmal"],
        "fr": ["biométri", "empreinte faciale", "empreintes faciales", "empreinte vocale", "empreintes vocales",
               "reconnaissance faciale", "géométrie faciale", "géométrie du visage"],
        "es": ["biométric", "huella facial", "huellas faciales", "huella de voz", "huellas de voz",
               "reconocimiento facial", "geometría facial"],
    },
    "precise-location": {
        "en": ["precise location", "precise geolocation", "exact location", "GPS"],
        "de": ["genauer Standort", "genauen Standort", "präziser Standort", "präzisen Standort", "GPS"],
        "fr": ["localisation précise", "position précise", "géolocalisation précise", "GPS"],
        "es": ["ubicación precisa", "geolocalización precisa", "ubicación exacta", "GPS"],
    },
    "children": {
        "en": ["children", "child's", "minors", "under 13", "under the age of", "younger users"],
        "de": ["Kinder", "Minderjährig", "unter 13", "Jugendliche"],
        "fr": ["enfant", "mineur", "moins de 13"],
        "es": ["niños", "menores", "menos de 13"],
    },
    "sale-or-sharing": {
        "en": ["sell your", "sale of", "we sell", "do not sell", "share your personal", "sharing of personal",
               "targeted advertising", "cross-context behavioral"],
        "de": ["verkaufen", "Verkauf", "Weitergabe", "geben wir weiter", "personalisierte Werbung"],
        "fr": ["vendre", "vente de", "vendons", "partage de vos", "publicité ciblée", "publicité personnalisée"],
        "es": ["vender", "venta de", "vendemos", "compartir su información", "publicidad dirigida", "publicidad personalizada"],
    },
    "retention": {
        "en": ["retain", "retention", "how long we keep", "we keep your", "delete your"],
        "de": ["aufbewahr", "Speicherdauer", "speichern wir", "Löschung"],
        "fr": ["conserv", "durée de conservation", "suppression"],
        "es": ["conserva", "retención", "plazo de conservación", "suprimir"],
    },
    "ai-training": {
        "en": ["artificial intelligence", "machine learning", "train our models", "training our models", "generative AI"],
        "de": ["künstliche Intelligenz", "maschinelles Lernen", "KI-Modell", "trainieren"],
        "fr": ["intelligence artificielle", "apprentissage automatique", "entraîner nos modèles", "IA générative"],
        "es": ["inteligencia artificial", "aprendizaje automático", "entrenar nuestros modelos", "IA generativa"],
    },
}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=None)
def _phrases(term: str) -> tuple[str, ...]:
    """A watched term's phrases in every language, or a literal phrase, folded."""
    return tuple(sorted({_fold(p) for by_lang in WATCHED.get(term, {}).values() for p in by_lang} or {_fold(term)}))


@lru_cache(maxsize=None)
def pattern(term: str) -> re.Pattern:
    """A watched term's phrases in every language, or a literal phrase, as one word-start pattern.

    A word is letters and digits: the underscores of Markdown emphasis (``_biometric data_``) bound it,
    so that a term in emphasis is found, and found without them."""
    alternatives = sorted(map(re.escape, _phrases(term)), key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")[^\W_]*")


def find(term: str, text: str) -> list[str]:
    """Distinct words and phrases of ``text`` that match ``term``, in order of first appearance.

    A match starts with one of the term's phrases: the pattern, which tries its look-behind at every
    character (0.8 ms on a text of 30 KB, most of the "who has it" page), runs only from the first
    place a phrase occurs (a substring search, about a tenth of that), and not at all in a text that
    holds none. Its look-behind still sees the character before that place."""
    folded = _fold(text)
    starts = [i for i in (folded.find(p) for p in _phrases(term)) if i >= 0]
    if not starts:
        return []
    return list(dict.fromkeys(m.group(0) for m in pattern(term).finditer(folded, min(starts))))


def watched_in(text: str) -> dict[str, list[str]]:
    """Every watched term found in ``text``, with what matched."""
    return {term: hits for term in WATCHED if (hits := find(term, text))}
