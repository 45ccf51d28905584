"""Adam's update (Kingma and Ba, 2015, Algorithm 1), and AdamW's decoupled weight decay."""
import numpy as np


def adam_step(p, grad, m, v, lr, beta1, beta2, eps, t, decay=0.0, decoupled=False):
    """Step t (1, 2, ...) of Adam, in place on the parameter p and the moments m and v.

    p, grad, m, v: arrays of one shape. decay: weight decay, as L2 added to the gradient
    (Adam) or, with decoupled=True, as p *= 1 - lr * decay before the step (AdamW).
    """
    ### BEGIN SOLUTION
    if decoupled:
        p *= 1.0 - lr * decay
        g = grad
    else:
        g = grad + decay * p
    m[...] = beta1 * m + (1.0 - beta1) * g              # first moment: running mean of g
    v[...] = beta2 * v + (1.0 - beta2) * g * g          # second moment: running mean of g^2
    m_hat = m / (1.0 - beta1 ** t)                      # bias corrections: m and v start at 0
    v_hat = v / (1.0 - beta2 ** t)
    p -= lr * m_hat / (np.sqrt(v_hat) + eps)
    ### END SOLUTION
