import pytest
import torch


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny renders run fastest on one intra-op thread (no OpenMP oversubscription)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
