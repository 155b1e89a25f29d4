"""Pictures in: the ground floor. Opening image files safely (`imageio`), finding the pieces of ink or paper in
a picture (`components`), and normalising any picture a person hands the app, a canvas drawing, photo, scan or
screenshot, to MNIST's 28×28 format (`preprocess`). It imports nothing else of the app, and no Qt or TensorFlow,
so the numbers reader, the web service and the GUI all see a picture the same way."""
