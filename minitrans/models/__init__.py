"""The model families: one readable file each, with its task heads beside it."""
from .bert import BertConfig, BertModel, bert_parameter_counts, count_bert_parameters
from .bert_heads import (BertForMultipleChoice, BertForPreTraining, BertForQuestionAnswering,
                         BertForSequenceClassification, BertForTokenClassification, align_word_labels)
from .gpt import GPT, GPTConfig, count_gpt_parameters
from .gpt_heads import GPTForClassification, LMForClassification, resize_token_embeddings
from .lstm import LSTMLM, LSTMConfig, count_lstm_parameters
from .t5 import T5, T5Config, count_t5_parameters, shift_right

__all__ = [
    "GPT", "GPTConfig", "count_gpt_parameters", "GPTForClassification", "LMForClassification",
    "resize_token_embeddings", "LSTMLM", "LSTMConfig", "count_lstm_parameters",
    "BertModel", "BertConfig", "count_bert_parameters", "bert_parameter_counts", "BertForPreTraining",
    "BertForSequenceClassification", "BertForTokenClassification", "BertForQuestionAnswering",
    "BertForMultipleChoice", "align_word_labels", "T5", "T5Config", "count_t5_parameters", "shift_right",
]
