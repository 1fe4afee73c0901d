"""Build a tiny SmolVLM-architecture (Idefics3) model and processor into a folder, offline.

Random weights, a word-level tokenizer made with the ``tokenizers`` library, a real
``Idefics3Processor`` with SmolVLM's chat template: everything the real loading code
(``AutoProcessor`` / ``AutoModelForImageTextToText`` with ``local_files_only``) needs, in a few
hundred kilobytes. The same builder, with ``smolvlm_256m_shape()``, gives a model of
SmolVLM-256M-Instruct's shape for the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# SmolVLM-Instruct's chat template (content is a list of {"type": "text"|"image"} parts).
CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}"
    "<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

SPECIAL = [
    "<|pad|>", "[UNK]", "<|im_start|>", "<end_of_utterance>", "<fake_token_around_image>",
    "<image>", "<global-img>",
] + [f"<row_{i + 1}_col_{j + 1}>" for i in range(6) for j in range(6)]

WORDS = (  # noqa: SIM905 - a word list reads better as prose
    "system user assistant image images question answer text the a an of in on is are what "
    "which does this that say sign menu cat coffee cup red blue green yes no one two three "
    "four five please describe read summarise untrusted context begin end ocr from found data "
    "never instruction do not identify real people english japanese reply language history "
    "photo picture shows there it and or with for to as be by at name shop open closed price "
    "total receipt date tax card cash 見る 画像 何 です か ます の は を に"
).split()
PUNCT = list(".,:;!?'\"()[]<>-_/|=+*#@&%$0123456789")


@dataclass(frozen=True)
class Shape:
    """Sizes of the text (Llama) and vision (SigLIP) towers."""

    text_hidden: int = 32
    text_layers: int = 2
    text_heads: int = 4
    text_kv_heads: int = 2
    text_intermediate: int = 64
    vision_hidden: int = 32
    vision_layers: int = 2
    vision_heads: int = 4
    vision_intermediate: int = 64
    image_size: int = 32
    patch_size: int = 8
    scale_factor: int = 2
    vocab_size: int = 0  # 0: just the words above; more adds filler words, like a real vocabulary
    init_std: float = 0.3  # wide random weights, so the answer depends on the input


def smolvlm_256m_shape() -> Shape:
    """SmolVLM-256M-Instruct's published sizes (SmolLM2-135M text, SigLIP-base/16 at 512 px)."""
    return Shape(
        text_hidden=576, text_layers=30, text_heads=9, text_kv_heads=3, text_intermediate=1536,
        vision_hidden=768, vision_layers=12, vision_heads=12, vision_intermediate=3072,
        image_size=512, patch_size=16, scale_factor=4, vocab_size=49_280, init_std=0.02,
    )


def image_seq_len(shape: Shape) -> int:
    return (shape.image_size // shape.patch_size) ** 2 // (shape.scale_factor**2)


def build_tokenizer(vocab_size: int = 0):
    """A fast word-level tokenizer with the special tokens Idefics3's processor expects, padded
    with filler words ``w<n>`` up to ``vocab_size`` (so every id a model emits decodes to text)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab: dict[str, int] = {}
    for token in [*SPECIAL, *WORDS, *PUNCT]:
        vocab.setdefault(token, len(vocab))
    while len(vocab) < vocab_size:
        vocab[f"w{len(vocab)}"] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|im_start|>", eos_token="<end_of_utterance>",
        pad_token="<|pad|>", unk_token="[UNK]",
        additional_special_tokens=[t for t in SPECIAL if t not in ("<|pad|>", "[UNK]")],
    )
    return fast


def build_processor(shape: Shape):
    from transformers import Idefics3Processor
    from transformers.models.idefics3.image_processing_pil_idefics3 import (
        Idefics3ImageProcessorPil,
    )

    image_processor = Idefics3ImageProcessorPil(
        do_image_splitting=False,
        size={"longest_edge": shape.image_size},
        max_image_size={"longest_edge": shape.image_size},
    )
    return Idefics3Processor(
        image_processor=image_processor, tokenizer=build_tokenizer(shape.vocab_size),
        image_seq_len=image_seq_len(shape), chat_template=CHAT_TEMPLATE,
    )


def build_config(shape: Shape, tokenizer):
    from transformers import Idefics3Config, LlamaConfig
    from transformers.models.idefics3.configuration_idefics3 import Idefics3VisionConfig

    vocab_size = len(tokenizer)
    text = LlamaConfig(
        vocab_size=vocab_size, hidden_size=shape.text_hidden,
        intermediate_size=shape.text_intermediate, num_hidden_layers=shape.text_layers,
        num_attention_heads=shape.text_heads, num_key_value_heads=shape.text_kv_heads,
        max_position_embeddings=8192, rms_norm_eps=1e-5, tie_word_embeddings=True,
        initializer_range=shape.init_std,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    vision = Idefics3VisionConfig(
        hidden_size=shape.vision_hidden, intermediate_size=shape.vision_intermediate,
        num_hidden_layers=shape.vision_layers, num_attention_heads=shape.vision_heads,
        image_size=shape.image_size, patch_size=shape.patch_size, initializer_range=shape.init_std,
    )
    return Idefics3Config(
        text_config=text.to_dict(), vision_config=vision.to_dict(),
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
        scale_factor=shape.scale_factor, pad_token_id=tokenizer.pad_token_id,
    )


def build(
    folder: Path | str, shape: Shape | None = None, seed: int = 0, stop_at_eos: bool = True
) -> Path:
    """Write a random-weight Idefics3 model, its processor and generation config into ``folder``.

    ``stop_at_eos=False`` leaves the end token out of the generation config, so every request
    generates exactly ``max_new_tokens`` (what a benchmark wants from random weights).
    """
    import torch
    from transformers import GenerationConfig, Idefics3ForConditionalGeneration

    shape = shape or Shape()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    processor = build_processor(shape)
    tokenizer = processor.tokenizer
    config = build_config(shape, tokenizer)
    torch.manual_seed(seed)
    model = Idefics3ForConditionalGeneration(config).eval()
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id if stop_at_eos else None,
        pad_token_id=tokenizer.pad_token_id,
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


if __name__ == "__main__":
    import sys

    print(build(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tinyvlm"))
