// Which labels a model can be given: its own classes, else (a model not told labels) those of the
// data set it was trained on, which the compare strip's conditional models read.

/** How many labels a link or the store may hold for this model. */
export const classCount = (model) => model.num_classes || model.data.class_names.length;
