"""Publishing: what a viewer sees around the music. YouTube metadata from the plan and
the mix's chapters, the thumbnail, and the still-image video.

Hands on: ``metadata.json``, thumbnail JPEGs and the MP4 the upload sends.
"""
