"""Faster model loading for Rasa 3.6's TensorFlow components (DIET, ResponseSelector).

Rasa rebuilds each model at load time by *training it on one example* through `model.fit`, which
traces and compiles the whole training graph (about 20 s per component on 2 cores), only to throw
the result away when the saved weights are loaded. Creating the variables with one eager forward
pass of the same loss builds the same weights without tracing; the saved weights are then loaded
as before and prediction is traced once, exactly as Rasa does. Fine-tuning keeps Rasa's own path.
"""
from __future__ import annotations

from typing import Any, Optional

import tensorflow as tf
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

_original_load = RasaModel.load.__func__  # type: ignore[attr-defined]


def _load(
    cls: type,
    model_file_name: str,
    model_data_example: RasaModelData,
    predict_data_example: Optional[RasaModelData] = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    if finetune_mode or predict_data_example is None:
        return _original_load(cls, model_file_name, model_data_example, predict_data_example, finetune_mode, *args, **kwargs)
    model = cls(*args, **kwargs)
    learning_rate = kwargs.get("config", {}).get("learning_rate", 0.001)
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate))
    batch_in, _ = RasaBatchDataGenerator(model_data_example, batch_size=1)[0]
    model._training = True
    model.batch_loss(batch_in)  # eager: creates every variable, traces nothing
    model._training = False
    model.load_weights(model_file_name).expect_partial()  # optimizer slots are not needed to predict
    model.run_inference(predict_data_example)
    return model


def install() -> None:
    RasaModel.load = classmethod(_load)  # type: ignore[assignment]
