"""externalize: did the 2014 coalition intervention make al-Qaeda and Islamic State groups externalize
their competition? Raw conflict data -> classified events -> monthly / yearly series -> ITS models -> report.
"""

__version__ = "0.1.0"
