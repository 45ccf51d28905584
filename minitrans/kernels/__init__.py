"""Numba versions of the hot operations, each with the signature, checks and cache of its reference.

    softmax.py        softmax_forward/backward        reference: functional/softmax.py
    attention.py      attention_forward/backward      reference: functional/attention.py
    gelu.py           gelu_forward/backward           reference: functional/activations.py
    layernorm.py      layernorm_forward/backward      reference: functional/norm.py
    cross_entropy.py  cross_entropy_forward/backward  reference: functional/losses.py
    embedding.py      embedding_backward              reference: functional/linear.py
    adam.py           adam_step                       reference: functional/adam.py
    compile.py        how a loop becomes a parallel and a serial kernel
    threads.py        how the kernels and BLAS share the cores

Nothing calls these directly: minitrans.ops picks the kernel or the reference
by the backend switch. Read the reference first; each kernel's docstring says
what it does differently and why.
"""
