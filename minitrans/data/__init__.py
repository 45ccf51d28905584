"""Data: the toy world (corpus, probes, tasks), real text corpora, pretraining objectives and batching."""
from .batching import length_buckets, pad_batch
from .corpus import prepare_shakespeare, read_text_corpus, strip_licence, train_val_split
from .objectives import (IGNORE_INDEX, mask_tokens, nsp_pairs, pack_pair, random_windows, span_corrupt,
                         span_corruption_batch, span_corruption_lengths, span_uncorrupt, tokens_length_for_inputs)
from .toyworld import (DEFAULT_CONFIG, PHENOMENA, TASKS, Probe, ToyWorld, corpus_to_text, default_data_dir, load_corpus,
                       load_probes, load_task, task_info, write_dataset)

TASK_NAMES = tuple(TASKS)

__all__ = ["length_buckets", "pad_batch", "prepare_shakespeare", "read_text_corpus", "strip_licence",
           "train_val_split", "IGNORE_INDEX", "mask_tokens", "nsp_pairs", "pack_pair", "random_windows",
           "span_corrupt", "span_corruption_batch", "span_corruption_lengths", "span_uncorrupt",
           "tokens_length_for_inputs", "ToyWorld", "DEFAULT_CONFIG", "corpus_to_text", "default_data_dir", "load_corpus",
           "load_probes", "load_task", "write_dataset", "PHENOMENA", "Probe", "TASK_NAMES", "task_info"]
