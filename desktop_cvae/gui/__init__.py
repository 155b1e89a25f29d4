"""The desktop app: the only floor that imports Qt. `app` makes the QApplication, `main_window` wires the input
and model panels (`panels`) and the exploration tabs (`tabs`) to the state (`state`) and to the model thread
(`worker`: the newest request wins, and TensorFlow never runs on the UI thread). The training and compare
dialogs, the Model menu (`model_menu`), the canvas, the number panel, views and matplotlib plots each have a
module of their own. Models are reached only through the core (`desktop_cvae.engine`, `train_process`), never
through TensorFlow directly.
"""
