"""The pretrained GPT and BERT shipped in data/pretrained/ are what `minitrans data pretrained` makes.

Retraining them in full takes minutes per model, longer than a test should; the file records the
recipe's settings and its first FIRST_STEPS training losses, and the test replays those steps with
the recipe as it is now: the same tokenizer, config and settings, and the same losses bit for bit,
prove the file was made by this code on this data (training is deterministic, tested in test_train.py).
On a machine of another kind than the one that made the file (another CPU: other BLAS kernels and
vector widths) the losses agree to CROSS_MACHINE_RTOL instead: they differed by at most 1.3e-7
(relative) between an AMD Zen 4 and the machine that made the previous files, while the losses of
two successive steps differ by 4.5e-3 or more.
"""
import numpy as np
import pytest

from minitrans.models import GPT, BertForPreTraining
from minitrans.recipes.shipped import (FIRST_STEPS, RECIPES, SHIPPED_STEPS, load_shipped, machine_kind, shipped_path,
                                       shipped_record, training_settings, write_shipped)
from minitrans.checkpoint import load_checkpoint

PROBE_MARGIN = {"gpt": 0.1, "bert": 0.1}   # what the quickstart's tables show, with room to spare
CROSS_MACHINE_RTOL = 1e-6                  # float32 rounding summed in another order, over 20 steps


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(RECIPES))
def test_shipped_file_is_what_its_recipe_makes(family):
    record = shipped_record(family)
    _, settings, _ = RECIPES[family]
    assert record["command"] == "minitrans data pretrained"
    assert record["train_config"] == training_settings(settings()), \
        f"the {family} recipe's settings changed since {shipped_path(family)} was made: run `minitrans data pretrained`"
    assert record["step"] == SHIPPED_STEPS[family]
    model, tok, trainer = RECIPES[family][0](until=FIRST_STEPS, progress=False)
    assert tok.to_dict() == record["tokenizer"]
    assert type(trainer.model_config).from_dict(record["config"]) == trainer.model_config
    losses = [r["loss"] for r in trainer.history if r["split"] == "train"]
    if record["made_on"] == machine_kind():
        assert losses == record["first_losses"], f"the {family} recipe no longer makes {shipped_path(family)}"
    else:
        np.testing.assert_allclose(losses, record["first_losses"], rtol=CROSS_MACHINE_RTOL,
                                   err_msg=f"the {family} recipe no longer makes {shipped_path(family)} "
                                           f"(made on {record['made_on']}, replayed on {machine_kind()})")


def test_load_shipped_gives_models_in_eval_mode_and_names_a_missing_file(tmp_path):
    gpt, gpt_tok = load_shipped("gpt")
    bert, bert_tok = load_shipped("bert")
    assert isinstance(gpt, GPT) and isinstance(bert, BertForPreTraining)
    assert not gpt.training and not bert.training
    assert gpt.config.vocab_size == gpt_tok.vocab_size and bert.bert.config.vocab_size == bert_tok.vocab_size
    with pytest.raises(FileNotFoundError, match="minitrans data pretrained"):
        load_shipped("gpt", tmp_path)
    with pytest.raises(ValueError, match="the shipped models are \\['bert', 'gpt'\\], got 't5'"):
        load_shipped("t5")


def test_write_shipped_keeps_weights_and_the_record(tmp_path):
    model, tok, trainer = RECIPES["gpt"][0](until=3, progress=False)
    path = write_shipped(tmp_path / "gpt.safetensors", model, tok, trainer)
    again, _ = load_shipped("gpt", tmp_path)
    for (_, a), (_, b) in zip(model.named_parameters(), again.named_parameters()):
        assert np.array_equal(a.data, b.data)
    record = shipped_record("gpt", tmp_path)
    assert record["step"] == 3 and len(record["first_losses"]) == 3 and record["made_on"] == machine_kind()
    assert load_checkpoint(path).optimizer_state is None


@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(RECIPES))
def test_shipped_models_beat_their_random_initialisation_on_the_probes(family):
    from minitrans.recipes import bert, gpt
    model, tok = load_shipped(family)
    report = (gpt if family == "gpt" else bert).probe_report(model, tok)
    assert report["pretrained"]["all"] > report["random init"]["all"] + PROBE_MARGIN[family]
