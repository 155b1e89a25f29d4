"""Reading whole numbers: a picture of a handwritten number -> its digits, left to right, each with its box and
its ten probabilities, and the number's confidence.

`segment` does the pixel work: it straightens the line of writing, takes out a ruled line, finds the pieces of
ink and proposes the ways they could make digits; `marks` sets apart what people write between digits (full stops,
dashes, brackets, a plus) and marks a date's slashes; `printed` refuses a barcode, whose bars the model
reads as sure 1s; `crossed` tells a digit scribbled out. `reader` lets the CVAE choose among those proposals by
analysis by synthesis (each candidate digit judged by its evidence bound) and reads the digits. No Qt here;
the GUI and the command line both call `read_number`.
"""

from .reader import DigitReading, NumberReading, read_number, read_number_file

__all__ = ["DigitReading", "NumberReading", "read_number", "read_number_file"]
