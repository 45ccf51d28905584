"""`minitrans experiment encoder-decoder --quick`: the table, JSON and plot; same-size models, same compute."""
import pytest

from experiment_checks import check_study
from minitrans.experiments import run_experiment
from minitrans.experiments.encoder_decoder import ROWS
from minitrans.experiments.suite import COLUMNS


@pytest.mark.slow
def test_encoder_decoder_quick(experiments_root):
    out = experiments_root / "encoder-decoder"
    result = run_experiment("encoder-decoder", out_dir=out, quick=True, seeds=[0], progress=False)
    check_study(result, out, low=-1.0, high=1.0, rows=list(ROWS))    # MCC and Pearson can be negative
    assert result.columns == COLUMNS + ["average"]
    assert any(note.startswith("BERT pretrained > GPT pretrained on average: ") for note in result.notes)
    gpt, bert = result.extra["GPT"], result.extra["BERT"]
    assert 0.8 < bert["parameters"] / gpt["parameters"] < 1.25      # the same size, to about a tenth
    assert gpt["steps"] == bert["steps"]                            # the same number of steps
    assert 0.7 < bert["tokens_per_step"] / gpt["tokens_per_step"] < 1.3   # of about the same number of tokens


def test_each_family_finetunes_at_its_own_rate_from_scratch_too(monkeypatch):
    from minitrans.experiments import suite
    from minitrans.experiments.pretrained import FINETUNING_LEARNING_RATES
    seen = []

    def fake(family):
        def finetune(task, checkpoint, **options):
            seen.append((family, checkpoint, options["lr"]))
            return {"test": {"accuracy": 0.5}}, None
        return finetune
    monkeypatch.setattr(suite, "finetune_gpt", fake("gpt"))
    monkeypatch.setattr(suite, "finetune_bert", fake("bert"))
    for family in ("gpt", "bert"):
        for checkpoint in ("pretrained.safetensors", None):
            assert suite.finetune_score(family, "sentiment", checkpoint, "quick", 0) == 0.5
    assert seen == [(f, c, FINETUNING_LEARNING_RATES[f]) for f in ("gpt", "bert")
                    for c in ("pretrained.safetensors", None)]
