"""A run folder's table before and after training, as a Python user reads them.

embeddings.pt (format 2) holds {"format_version": 2, "rows": int64 [M], "before": [M, D]}: the
rows training could move and their initial values. The trained table [V, D] is model.pt's
embedding.weight (a LibTorch archive: torch.jit.load reads it). Every other row is the same
before and after. A word run with subwords also holds "after" [V, D]: its word vectors are means
of model.pt's rows, and embeddings.pt holds them whole, before and after.
"""
import torch


def tables(run_dir):
    """(before, after), [V, D] each, of the run in `run_dir`."""
    moved = torch.load(f"{run_dir}/embeddings.pt", weights_only=True)
    assert moved["format_version"] == 2, moved.keys()
    if "after" in moved:  # a word run with subwords: the word vectors, not model.pt's rows
        return moved["before"], moved["after"]
    after = torch.jit.load(f"{run_dir}/model.pt").state_dict()["embedding.weight"]
    before = after.clone()
    before[moved["rows"]] = moved["before"]
    return before, after
