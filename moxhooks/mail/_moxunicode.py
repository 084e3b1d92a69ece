"""Unicode 17 character data exactly as mox v0.0.17 uses it (generated; do not edit).

mox is built with Go 1.27, whose unicode package, golang.org/x/text (unicode/norm,
unicode/bidi) and golang.org/x/net/idna tables are Unicode 17.0.0. Python's
unicodedata is older (Unicode 14 on Python 3.11) and the idna package's tables follow
its own release, so moxhooks.address takes the properties that decide an address from
here instead: they were dumped, one code point at a time, by a Go program compiled
against mox's vendored packages at the v0.0.17 commit:

- lower: unicode.ToLower (what strings.ToLower does per rune), as a delta;
- print: strconv.IsPrint (what %q leaves unescaped);
- ccc: norm.NFC.PropertiesString(r).CCC(), the canonical combining class;
- bidi: bidi.LookupRune(r).Class() (x/text/unicode/bidi: 0 L, 1 R, 2 EN, 3 ES, 4 ET,
  5 AN, 6 CS, 7 B, 8 S, 9 WS, 10 ON, 11 BN, 12 NSM, 13 AL, 14 Control);
- idna: x/net/idna's trie attributes: joining type * 8 + modifier * 4 + virama * 2 + rtl
  (joining types 1 L, 2 D, 3 T, 4 R; all 0 for mapped runes, as in x/net/idna);
- assigned: unicode.In(r, L, M, N, P, S, Z, C), i.e. assigned in Unicode 17;
- pairs: every canonical composition (a, b) -> c but Hangul, which x/text/unicode/norm
  looks up by the low 16 bits of a and b (so U+10041 U+0301 composes to U+00C1);
- decomp: norm.NFD for the code points whose decomposition Python 3.11's unicodedata
  does not know (assigned after Unicode 14), and compose: the canonical pairs that
  compose to them in NFC.

Each range table is [starts as deltas, values]: value i holds from start i up to start
i+1. The blob is zlib-compressed JSON in base64.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

_BLOB = (
    "eNrtXduOJDeO/Zd+zgZ0v/hXBn6YtY2Fgd2ZwcwC+zCYf1/xHJJSZGZVV7fbHru30J2ReUSFREkUJZGMqH9++K+//u9Pf//w"
    "3Z/+FG6t3lK7xRBvKd/ird+yfP2W/9IvpH+9f/lp3enNuV/iOj3c1796L/22PfXav/5mjtKYR5+M9WmXnsXdUty85ao5Pudf"
    "vXCQpNx2y+lWxldo5vxddPbvZ9h/Cf95LFlYwpCHj1tP6TaWerqlOCsko2QMYU7hD97e3/Lf/CbaMNY/WaTwQ8F9LklOxXMA"
    "cmrEW+EXcNrJ/JFmd50j+qdUURNRem7EgdVxlCBK46I30qvzcfzhZ+XuV35LH+YY6q+6PfhiccX6EL9opf6V/72urcqdNOXf"
    "m24GgyWXduuzTcyGlBbfq1l5LaYLVpuMVRf/1Zbew61KUr8tPZ5GL7LupjjGkB+t3FJd0pTD0ufl+9vah67U8xJ/5c/HOOdv"
    "UM3b2UnxkpDi8Ts0/a747msYwurNkD05hY6bVueHqQWs3zHjV7krevj3fUo/cs39++H6NT67pI9LA3+s7Vfo1Rzemj30WfWm"
    "lgHTFpV6W6Lf46dLWQtHkF3MusiALDlfl3yR7PElDWnWjo99t2z8RnPlq3/qH4/lz/gUGeGeMPbXrzxGKy4AH3MI4/iO75+3"
    "T4jelhR9A+0Yv/zycS2uHyd+N/uxFEQI9mtteT92LjICk+XqNSJ55JHXNTVRJgmi2ExHNxNoap3Q1ynsYx5rSRGQ+oPGDX1o"
    "xkmU+ZWuucY3rgTeP58xCXLN+eV9xceS0ghfUm5JeWlW+VqbGXxVJlajsfQ6WEnCV1snzjTeUDqLXjsvacAol3pLfgt7tRnQ"
    "pbwEu+T5eOEict0oYwrmRfj++9uHv/3957/8D+26i7i2LYsQpWf7mrBJbChunYMVJfPoK4fVGmggu9Uqh9e+sjYxviWcTKZc"
    "C/JN2bgFORTwd0ECTG1+6BUTzmKg3zqOZS3qiRj/ktsI8024mkooOGoWlFElpSpHDYnHnck/Se1FzJDVtlrMDtnl+JXVDCLf"
    "lyIqWqKUzLJYVATvbpdMj9XXg/EsVvODcdlNc3vblKVixasZkqxmqadIV2mmZBbQ9RNWsGxs41jYUGfUzB3Zs3ZDYVt0vPY9"
    "wXk976u7Qm1/2pVVO4dKv6NSOfTxZDqE+eJ2pYSWR8qKWgsaG48y18RalUzZDKfTJuun3gxmDrtxQFtEdtAOYSFP/tIT5uJz"
    "FRfnOEy8uXdtT/dz9SrHfuT8hIrCqt3XhMOMsWmrCaNhushJNVCy821Mdu8U/icm0NFrEJqpXdr0onanxnuXTqi3HiCT4EOa"
    "yovIT2JfLH6KsNRo5Mq3JoSGhmKqxaP4dXNTo9YafDSvNRkEiH3l3ZWm0yijAx5qLto8TH35cW8Rz9Ii2nqqSiTHeOqknFAO"
    "MmcLJhqmQtfxgd4p6Pd1txjPbm3xlcCEnHQHzHB5gLl6jOQ6BUJWCju5q1y89JHNTC4UUHEmJJx2BUpKw/RFB4XMbogyRkic"
    "NOelmaZwvNTeklNRcUHsfTLrE7Qku1L6u0rPdjnBRXRG5AAJvQ8zNGbVoZN9RkUQMGvSYDkqWUfzWoAkNJeeGDtHVfSKaNhQ"
    "IYurrsZcTcauY5Ld6MLziWTqsVUsA0Xqqm5eK1A5NJmtSqewv3miZlK+sllMIyvA/aomMUZYXjLUSZFxXJNkmAhEEYwlnXJS"
    "FRUgzZD7RCVkafxKr5THDCUEvV2E3ViH9QQ1gFyKdHyFBMV0Z256MEBl5FzfUSQ1JdqOE/WU1LBS15G+qVoqxfxDt6R+UJkS"
    "FBE2usrIZhHxKpfV+RXrUuDaySzDlAFnSaFKlnFuUGpLlWHGz1vFkjA5aTB+naQux/oOeazoyYoVTUSPHTJ4I1altYOBJilJ"
    "V7Akgt/A+mIXdxWsXKnRyQKGs7Dk49C4bslo11tXUVdtP4Tl9a/pjgGJGNl2alPTEqKa1qagspDy8uKpmj7pashlr2Lqy4oC"
    "NaiWU44QPUNnSrGExEoWlyw7B46eENdkqYV6bsnqGnGW26C3p6xPqksTTj6pc2EoEIJRZWLKQWpgNRs6s4bykMPNfQoTQw0h"
    "U5UcpTQwIndnGVN07pBBGUNVJCqf6nXQBMyW7L22EnkvKi1FbcRJPSMooRlLlq3ZSGIxkUKFq6qbIlkaKUWVYycSvKRCWh2E"
    "d1XIMuXXbU3kZKLPQoeIcUblOUX51NXANlaRqztjX+2qYi3TNU4029BfTbosscu5DmIAwTPqW9MjY9cgy/vEzkV3gqsZXcal"
    "djahFfKH2SXriLRoDcMiruaMHiggvlucKqLoW+3VAvFejZGTwGoZJ0GmXtaNyMzSbZJasnRz4pLWISWN2mJiKWjsY3SLiDG2"
    "s1iQ0NaUdMfA6xDGU4UWxiD06Bta2w6borNFoupeZVjDhk6Dqrtp7FgLJtaUInqANOsYxxiKDAqaEZk7dt0VcepUmdYMAJF9"
    "CbaJuophFiXuXLoMEbhp0Ney5pZMjmfiwCedlolHjrJXDsnUqanWoPVG+cT2TGbckCQ5MczCu1zH2x4yHH4Tddk9uHvSKz46"
    "o5mAlLOEwF7hDrkq4OYm2GTizq/aJhKXDJmJXaRfpGx1MHJP28+Ip2TBgZKxbcZ6EqGCkitRnAhc22PRw6SJuseXErPsVCBf"
    "SMJqK82u3TRjszuwAMXCvTVm95pjqSfuDGTirPnWO3q/dAh3E1Et0JzSwLXTKDOLUh9lyrztXbyiJcBt826/eP+8f94/3/rn"
    "vQfeP++f98/75/3zu/+IK+iHH36gI6ivE1XaoWbVnAV0mww9MWX1JpTLCUl/idmLVsZqgYB69GqvRsi/Hprct9X5SUC2WsNZ"
    "AoyPIeIoVW7xcP2A62rGGON5nwDzI0MtqOVq0hVRDv8QDJKZji3YNGlejeXSIdmLzc5pC8aom2dCtiS0D14wNiWGZz9pPt8J"
    "al8L+74weW6WzGUn4LC5wNigN7fHm+OlHnHx5XJATrQBxmhw0GcotpIJrx97t3a3ubFtxSP1NXKzq2uRnBSxEjSvxIY00oBm"
    "B/fudgEN/+602dVhUboN9dakXVtdCujqa+a+m6y2XwQv9ydy2FNQI0u+mQNmO+iAQ4fhH06kiccGai2nHAX4J0Nsaj8ItNkN"
    "lNybVR1hepehGHJAp/fqhmAzWtbzPIQr0YMorURCwWDnvAagTZh5O4xrMhNmp0uTLkOYXduwVpRwWmeb+li6yEYTkc40/ZgX"
    "sZv7N9LhsCNyE82FNE6aiaHBoD9MctBa3BTUEUiHCDsDAgs7kFh2Jcx/DevFtTm1C6pWyiZF1Qo03DXLM2z4ETE4sknUoCXc"
    "MqkkMxGd2kYnJ2s4q8xxcZ9wBs0GY1rNcbgfuWoMOYcZzgmxveca6zPbGcxCql0y/N5N+rLarFxMqRYppp66TojSYSQL4pCI"
    "MKsksfmIOCX9hs01MO7z+I6aQ2yP+p32912KlyefJe/iOLt82x3XUvidnqSdtIHfMZh/BpbDyFB6yH6EyzTBMggfRIBPrN5O"
    "fhGSKjDD0mgRDlL63GkZDsbnvCB2ou6GHMRnjROH2i28WNaXfD+gFG53DNwx8+n7X6zP+uY5IxIbMm+vpW50/33+HkWs8Vea"
    "fWSZ4zeCweIg4iincH9laBkMpBhwRrDqb2v8vOse5/joypMHywvpEXF8mACPZT6ZLK909P1UKi/27n1fJo1Bfhyd+KJwPHAg"
    "4i7GXpv6Pp0H0+LY0/qB63hcD36O8uPDHDl6S8rG9E461YtGMb8k0s9G5r5nrm19rRQNQnw6p9KzeXQ26TpAr8y/FwXgWcp1"
    "CvTbS0NPWn+h4ddpZin9uD7/9WwSvpQevWSP6Iz6MIFEG2Ay3k+UFzXVZ1zTE232Fh3YeXj5j59//Jmnl8sDQdv1mc9gh4A9"
    "IAJmUtNYJO4gbsUdT/7Y195EZsa5iE91cilXD0tltZ1eMPW4VQ9uwzpfEGxV23EWKfXhqeF6f0TCwavwRBb8rMKzDY9ULM1i"
    "RzKPNkvPT0Y54IQydev60vmleAheQmPER4dNbdrHAITumNuQPsMbXbi3ogdDbJJjObY5dBdZfNURdJd9/xh3luq7aZaULUDM"
    "KkrOCTdDuBmTt0XbH6/tcvMAobwPMtmj2PzOFDQqjtu/yqTEwMTKw+PRMjS4cyNGoZhBg9roGlxLGbmcdDX3fH+oKgjSKDt8"
    "iZEoueluOPkBRcMgqo0c3J52fPTgth4yN9bwjcORj+MBQ4PgNmRsSbBLK7qVHCZdzt+wYCI7rmLHmovurS36kmGKfgaqiZsr"
    "FcQ67h7qTjvGD5J8BKAVO8jviK6CKZwYXFe0zHyrbT+SzQR/XtOOefnp+U4czsUEgC3Lx0VjgfLx7Nr9E+HVtEO7uJCzBj9F"
    "D1/s0hqGsKXtwQ4ufO3xQT6Ke7UDdmOcRcHOBhxNOcapchItYAFxsnkPiMlBLFGWEALRHQyplcidNBFRkxmYCiHkqXSWVyLg"
    "cL6FBvDo1MpQxmRxfOBsIjxI41AQ0ysHDpGRGtwtHZuMx4T8odvqpPwlOfVU0TciSbNabI6K6Ag7WgwyzYfdsnXq7l8qj+H2"
    "iwYhzjQNDMRLSNCBTpGtgiDEXZWnx6xppJJGtFqAlOlxxFsOPV8m5ckZsRP3ERUg1gkeaLIEFg5OvYooEvPCW2QmRub+Oezk"
    "8q7VlDcsZzhO7Tgpvg2BQTEICsEZ3iYAQ6BoERARSdRIovoGVHiqarKqjKjLbh6A0WeNr8h8o5bUONZsQbtYLQu6PO4gs3Zz"
    "QZ63wkBGXfx4AGTkmMdKBYYCcuQ6VX2WOvmGB1qiMFAaVUXRlWD2ba7yaBIGaWM9VRWfuWbQ2NAt1uvcRCSJuBl7MLAsWQhz"
    "sXUuD2wlFPV9lw4ZVFTb63o7rXW+8EkE07TRr+2MXWOYr5mbkkpvYYQol6mpSqk0Wyss7llZ131DE/5TuizUMgrtkLduRte0"
    "rZfFl86qhs7dIxERPAXxL6y1cTgl6Cdy3b+YUgKtnLA++rZttqIrhcRSbeUUbq/HVFXEuU01wXQaYGCWFdnTdkko3Vr4umoR"
    "3c294deqvsoDytgOiY2GiqAwbslierJZit9k6MHCUiZ0EuyXj3aeJLG7YaitRyI92zXeKRXbcdX2hmAj7PF0M9V0y9THvz/S"
    "aNo6GTBvWtWA81/nuyIaaWmQ1VVt6dRxn+X7258Q+44NnTCpezsql8gAaAuCjjgd64W7KQ24L2ey6SVNScdNr1/i61lP6o4A"
    "fHJBjC3t/ll1nD+QQPVe9belnHT/nS6Z9lVrCq+xEJPt06IuYEdlyVvz2Zein19SxpMiv/T+PfJvv+PfxPzXrvlpw4Ib/r6o"
    "DXse0FL89kp/7db9ar317IIjJZUklZJZyGkw16jYRjIPCTBs4lQToXASH0w5fpS31Hx3KZ/IkQ/Fd3d5qyq7SOfDZb6k/3ba"
    "ZzXoLRfXgOGlIXs+oFuWw79TqK5prqTt3ByeXeOxRuw+0ANL8N+6IB5rEE3zKq6fWjGDRXNbUtTKXxOSdNsNetOaE7Sh9jCJ"
    "LT7h+K0rUzjhubb9mhr7d6+V0v+zyy9ew12A06tyvLO/sBj8QmWWfvOdxZOt3qlkPsnvV1fdX+GSXDf9kgt3MNdEcV78/ONf"
    "/kznRUSARl0HO7XS8infjgfd5KD86DDYj97HZ56DffQvl2iemD3uxTwL2Z8P59l0MLwmHS4Vc1w8dT34Y1L7sZp6K3evFEw0"
    "NG2zaz0itDKWB5jN/Nm2bM4LvffefWGn3O1uCZcItfu3puGhMTNpWdK0x/7vrOvmA6Fpyps1nJ3TE5LMSJ3t9QP6yJ09u7hd"
    "P54xedb4xCtyZKzXILvAZ/3MKF7bxbC8K9eeDuYl4csYthNG+Svh3lVS/C0Hh6Pl2sxtt99S51ljNascTCbpodDdLSy0B7U+"
    "5/0aQRzMD2NZ2g6Wtp0Xz5ws9pYJfUjt+hhX9Uiy+49uishbuD04Y7LHgHHwuhrrT7lhu7L7ZmbxgDZ9HnS+4IqZbvgt8Qwa"
    "bGanV1eM+nWKhhzaeyNSnCZe/eHNuq86YdTqfbph9BFarVejJcsRRfngkMFbcj/hlElukpTHMdPx3J1YBRGRJoMjzoX8UkBd"
    "uQulU9fBGUqXTmdBdi2F59GrbgX5EHaz2p+4DeJ+eLb0w3mQ7O0Szx0Ih1u3hmduhDNYVfhrx+tJ7OWUR/he5OsSJBIvNv3P"
    "+EY6+oqosxofIvvE1P25j6sXDsT94+qln06Ah0fWcRzdz6zXu+Wi+iOn2dtZ1GGK59pFKpM92D5cy94/ldnt5ReJcYLSITKg"
    "QoFDLm/nsPpUEid/yk+efvf3wWzBrNuuaS+Sjr7OJHvRi/Cex0X60zF86Vxu9Nl5FQeGuG0JUB9H5IOz5VhcTxdHI5OJo6jz"
    "EZGFUxWlVTfTsew9Oj30selDJae75WIrZXWHtI5T2/Uh+vTgHUl0qew+yAyvzBcfCSnW1COtX8swJdo+4SqhFb/ddg+nUg91"
    "fefLLXtldhmGqGjkazliC+79KHRNjGuEOIJQuzuGhz1+/4pPxZRAa76ip4tvhS8Jiv7ypDPMGIKYc9Z3ldw5V9J9pGow33rF"
    "1BnRtxWz6RZsiXJf69z2oVh8Rrv6URjIGmefX9H/IYGur7s++Nj35Guhsj8X/uTZ7z5jsqh+efdE2g8cI/qMgX4Pl/jk8sr7"
    "R4e7g7rqm/7kGvdPfysYf2d9x1d/8d59lYvevjljGcFrAbVa1jcUi1I+Xbm/LGDzfu2EF3rtUzXHC+9OC6q7L31nle3ueM4i"
    "3g8T+IVKir4yJtweRt4TPGtgzjfk9QEIT0XpSfaj9FeyPrJyZjnzPeO3vFD0U0bLQ4FeruU/sjhVCa/12H22I+9rDOUXZ+aV"
    "i7OiT4zDp0u0UlREHsa4PLTtfpTu29D4qz1ldl8urY3X3AYZRWOoXAao3PfCmZrDfXWvSGm5v7S7PJvWTrbv7muPnIWn1V8S"
    "yhnIX64Xz3UZ3fLJUd3Zy0Uc5ex0Su2L3dJe7J/2gig86a5Pi90xea7Di8SwteQhGS/0UPrlrwC+WwsvK13gke/4HIqYl6mK"
    "eD5dufYd99W+ZaE615Pr3fOyvN7x/HTJvpaFV9ha+nUt6Q8r9M7nbL+y3EfvEH2x8yEWGOAtpvledvJzuXzQy9e72sOCtufm"
    "a8U9XQz4aU9U4J36PyZUu9fDl+aUFxTvpcXlyY3PlfXjNGyv6NrwWJG3qu1eLY/L9kOP52uP7S58oWcfVPdZ8LPeeDb4Z+aH"
    "zr0fwms7LqNSXhGCl9factXXj4KQyhesvl/xcqgwTtT07P3eV80p1vY//+MfP//nX376kRZ3+fsSX/Ke24jXO+FFjG98u23B"
    "EwT9/cW27y+2/WO+2BaP8H7+O21Zyrf4OlszSP3O3mQ7wrf1Etv+NV9gq5PvtZfYBqqu95fYftsvsR3+iMH7S2zfX2L7+kts"
    "I988+62/vnboIxdf8vpaPI3w/uba9zfXflNvri0t3zuVZJOB690DI+9vEXv/vH/eP++f98/75/3z/nn/vH9+q7fX/u3PP//9"
    "H+LSWUdHeYHtOpytTTnAOqDMrECOp7MYkJNXNSDhZs2AFNAFiGFKbOxTwOS7cUMwICbKqKDjTWsGxLYilYoNA/cUAzBrKsA9"
    "zYDcI5Wu2oW3FKTSrpXGYGDKn+pWIAXEZAB/wNuAnHyl0lG1gG5AChgKUMA0gHdGCtB6ktSzTrAoIBUDQqkKOt4MZkAOw92A"
    "lDYM4I00AiZ6NGUpGq+xanhVnCN5NWE21PEqO0dij6hA2qjcHMl93RDuG47kvomn+gOZLKg9au0lORK/RjYkpZTiCPGljpqc"
    "HIG0f8p0JPaOYEhKqdGRGKRQX9L6ajYEmgsk3v9h3YfXtxgF7zAwioBJypBXh7ZACkGkEKOiltj/BFkpwl4rSgGoRhELbTOK"
    "AJ0S8hd7UxtKAQAHg6Cj6SEo8gkihoU9lniuyUhFXoDrJEHdSGJ4Hk4SpHMRDRxBSURWl1Q8XKaAMDF0UAfZ0Bk4qpHEW9Gc"
    "JKgbSWz4w0mCJkmQ5hmURITpmVj6JBtFkSkFkabp0gvUjSRGrS28gqaRxPkfnCQokiTtzyEpicjrEvMwFBC5yIGlN0UovYL3"
    "HFl6V4TSG0QmR07LoaiQxHxVSURN75I/OB+73QU0VMFJESnbnAQqJKGIVJVE1PQu/AX7bncBDVN4Ys7ziQzkulAcVHseC6pG"
    "EpdBc5Ig6MlEngpncVEUSQJPqjSKoqx3CU+qM4oiqWtkLYJ1VUVdSTIMZRgJaJKE0lWZ6BBBmchdUjp1idwFBDaUp0o2dIig"
    "WIbyVJuSiGxp6OJe3opLUDTS6tCWnCQoG0lcKsVJgqqR5OVQriWBvK7V/jacJEjXIQhvNzaIwAa1Ve5kYyrKumABFNelgqqR"
    "2gLQZCprUC9iqCYaSpKJAvUCkiDol6myBvUCEpCtu/L+sugyBGSNFJBd9wPZvmRI3L2trwBJpytAtkkOVLQqAF+DgJpWBdCt"
    "KiBpVoJjXNwz0q619BChe0FbHVDQvaABJaNJKehf0ICK3yd/yLX6fYLQB7NpDax9KJLaa1Ve0Ku1RkXooKk50a14tSeQqW2p"
    "fOtmoE61RTBUbRHpzklkp1A3x6hIKoN1V4qHcl5piqSykrWfdZ84FFVTmUBN2WryRJkpf6JoGm4sUFzDCUIZuoWq2PjJa/qI"
    "unUC0LBOAMLQRarhCg2diuaEhoY8idM0mTzhkTCjiFPVNm8Atu4im6+7QLbuIp+vu0C2CEm+5IsQUDTSypeSkwSZEkY+V8JA"
    "poSRzycQkClh5BuuTgVNI0kgh+tnIFNWki+7sgIyZYV8rqyAqmla8QA317SCuqlTAcPVqaCpa/wSh1p8jQfy08YqvQbbqAmI"
    "tnXpCyTfugjCNJOWdDzniDFuijDNYlYEuSlVUbeVTMofvpIJ4pzjvKqNc24qiqYaBfh+FAiqp1G+JsR5xqwIAqZ73AnpnnEq"
    "wpFAd7UT0j2T5YSGzVoKJHhmpUUqwaAoWSlLac/s9wHhAFG4eE6szbNo7VibZ9XaMSCzan0YkNmNVowmZUIRTj0Bzs5StEwo"
    "wqmHyAlFOJvROKG0l6DegKQU3ZQWPYoGij2wHDMDNzehkD156RkVSFC6no1qULqecsrQ8uycw63NwsPpwDyJBAmpAKaCDZ0H"
    "FXGOOpb6IvVS6HpajtRFPCwhLIf366Zoweblozzd4k1urhbWCRsw99YP3SpFw1zcIN4S/qH392FY26P82+kQO2rgvOnil9MT"
    "IujAdfc38o/dXmAu8X4/+ZP3VSo++AMumz9gLb8bZn/osXvhvsdDnJPcvnE8gOOmS37VBMP4qbr4F8Osfxg/0AdRHn1UPIiN"
    "n8rxb8aPbumCta/FLT/CD+d/0GUwJtt8+P1l04HrpkvkGXd4pAOz/S1bfvb/rIaVP+O3a/1WH2ZarPKoYJNApMrNIBMkqKBi"
    "nsYmcQyakI4ceOSVWgzhMMyBRnS8qVYSOpeVnjyBi0mXoAYmYByT+J9Tlmf1uZVf4pUsgVo7y+O0mgDlXBH6JhERXNeZUCPs"
    "Aljax8CpUV41PXbCEDPJwBbFcsizFNilrNOiPPKecW6UtqyjH06DEmWCGbO+qifMnUP+BkbAgr0ObRKzUCWACkKd5a0i6wyF"
    "V/EyoQdLQCdbgjx/j07WhIYEvaX4LdJBOU95TlFi7AoWjPV7ekL2HEXYLVBG66xS5fQihxHMJkuQCw5G8uU55s5R5c85YYKV"
    "KMFf0sL1C3s3Waia6O/1azBhWkKiEU9eDqoJtN2l7AksI1VPaEzwMjLLkHfGMkFtHWsSWUJmQvEEltG9UDV0yFs4NcGNOVg+"
    "3JoDhPIblveFsDwNQ5m0gY0oLBxzGKpKo62qKY2IG08uawty5xkNmmGHi4NbdggjiaxEDR3BYFYidwvFiITV7gRqfidgtztR"
    "zvA7AbEXFkMGuMLeO7EDBEan4kSYnAqYdfuFrVQwW5TCakSYRZoTATs2T1yAFhyA2SD2gtorXS0oyWA0E5KkxOQ2JMBsliJk"
    "LW4qAqwkoj+7LrrFYLc7hT9bMQ1OuxNn9eB3Aqp1anCzaVtXhWozYrN141INQv1xjARC1+Vp0M5jRH4gI3QbkzCft5EJMCoR"
    "lgBb7Q1mszMha3FDEyC6SGLw2J/YKUmy4a43s6hhNxNOI2IggxMBwZOxrxt8ayo2CL3rOOn2YBokT8qh7g2mQTfwI+twozTg"
    "NAsYjHbBTWCAeq4k72r2CQazEZG1OBHQjw80qPr5gbD74QKKZfjpAhCqNiedX9hJ5JwNRqdi7U5OBcSZKxgiU563KhEtVxuR"
    "TYRmxz8iP/8RTrPCCc89uBkOkMPWgwoAlixJNqx2OnZbN0OdQrPUoZ7upjrCbsdE1DP8nAiIbiqqmTu0di4mIFDbuVp7oLdz"
    "tXpo4uguFFDdUqRhM9wRueWO0E+oUtzYR1TAqURa2IIRCaMRJSuVd7TJMLOZ4qTeWdwWB6jWPSqFaeY9hd2IKGc4ERDd1FQk"
    "BpR3btEguqmpThvcOugmckGwBO0miCwNg5XEQeNQU6LCrsZDOiiGWQ8JpxGFBepuPdEu6GZH4SBuuyNgNqKYFai74zRYSSQH"
    "ah2cBsHQsKzcvQeD04hSCXV3Cgb92C5Z0z63A2YzY8rBi7o7JYOVRHJAa0tKBrsSYROh6k7J4PQVAsaU4AIoHKl1c8K6u+Bm"
    "CRC7PZtSI1fb20itxfc2QGbIEr06ilmyiLCZn7qsj0IjZDNYnSp1luZUwG5UFjWMSjidCtNTcCogdW6xPoXWFVYN0zY6lBFa"
    "bapJD/VuHcqIHg1M8Kh3YZ2BIWoYlXA6VRiB3iUV8OBLjE7t4AvYNjro2eYbHUL3uklFbbvdAN3vhnq24w0QTAVV4YM25Gyj"
    "QiNy0KVi0IqcbVRoRsauSOqhHTnbqNCQDKpU1JtTAblotqLd3ulEUof+wu4ek7LG9o8BuoNMGj+2hwwwm6EYqLilGNCdRChn"
    "e4kAuWxaX3DbXKwvxnSqNH4GpwJGo6IoHu+K9cXMTpXGz+JUQDA1hvUFLdFjWF9A/5ZocwMKuETTb1DApC5GZghOBYxGFUZo"
    "7CuxG8xOFTcHNHBRP1Gn9a/Y0kPzX4ndoK0KRL4qEHr8gVQTt/8JEDzZeYTmwWI7jhmzU6UBUMLFdisTShhUFtWMStidihcI"
    "DacCTqWSR+hhoSo0PYx6th4mVI+UZjWXlEL3SQkPqoeNQ5q9dfZN1cPGYHLrpyw6E1tdQqmUO92Vqkxk+kWzjS03u6RLz5Ww"
    "6cDR6EPmHS2ooCvOZgdG7TSiAkrp3PNOk/AJHdynWkDXj77pqG1sOvA0OmurweiKo9l6UTv0MKGUzt3vrDbule6ymg3XTYe/"
    "rm06cDerNkpnBAWg3E1lO1vQ0qhsZ7PhbnnTpTR11tm2ZkLfwjLN0odD3M2WN10laI/us5ls9bjpUlpPmw6cjc6e6sXoiqvZ"
    "6FE7vaDReo6adXaTGmrW2U1qqFlnN6kZYdOBo9FZm/pEu0kN9Cs6GrUPN72jdlWww6RmcFyGSQ09fKSjtrHpwNPorG0GoyuO"
    "5ktA7dNdC6idoRgrVWub7LlpUkNNS7rURk1LOnA3utY2jK54mi8B+0DoWkLZmELXSipqWz8ScTScN11UCdSt0oGr+VdY+nCI"
    "uydzDy0NSlWSDcdNl9Ji2nTgbJ4PlA7NSYi7oaaCLiOD1kdJNjw3XUpjTFnQVWjhaHTpqYWT0RVn8/qgOqrMkKoWTy1JjOKm"
    "Yd6OLels1vE5OcSJgB2ri8T6wY7VM+36UTcdOrxtOnA3utY2jK54mnMLtRf3daF2hpDAdYHaCptebNgZR0K61FbKpgNXo7O2"
    "0oyuuLuLDMUN95EJpDOyWmV1e8kAizu/AH3QCYe7vwS2sNcL/GGistcLYM4eeZ8qMWdPnoZ1RQiGdUWIhnVFSIpVL5ZsOO4V"
    "AzjtFQOYs7sYf6oXi/HXdcUy/rquWMafasZq/KlmrMZfn1vvIkglbL0LrJrR7jfNaPfrzrNb+3jql7/Qrpj8dWuf6sZu7Rt9"
    "a17gsTUvsGpu4091Yzf+GKO2FLph8jeMP9WOw/hT7TiMv1n3NABuexoA6zQx/qdOE+N/ctKa/MRAHWHyE1U/mvxE1Y8mPzHk"
    "PRGAy54IwDpRkmGdKNkw+TP5iYH8mfxE1aAmP1E1qMkPfaJTXYwLJodybo7KnXHP8AsvHBtTl336U22zM+g+HbBfkDxtr4Wq"
    "UnAoVaXtoBf7X0oKeS93n7o7WJCtqtYr2RSCQjbKqcmpsBOhi6MNaczVgwFgefStBeFQyMzQgyMmy01FGDVAYNBHDMzKiu8c"
    "0OjDaQ/LdfWYARTWlMp7NeYiGPRtAIqqO8JAisLmcermfUE2clrRjI2LGji28DCshU+PHxDYdjiBFK4BXlY4I3AbNyQLFoeg"
    "Vr2XJTP0tlvvQ2EyFAJwR0agoukBFjARg42ka16kd1T3mAtSOpvJXzfVrpDBDDbMdEHphnJBDpQphsgtno8rt3jZYVOomRl3"
    "LnumtAprnNXyBw8U0+44m2LuDFo1zPjGJpwTF9KHYZrdxHkgmI6a0aPW19VmJ3ZbYmiFLloFmFLaRYsQo/7elD+1Pct5jLiT"
    "LlqbmPX3ZhjmFM1Ne+f6csy7h2FGbAVD8D8mQ5X3FsONuBqmTTFqT9BwuPA0jPk2kpUHxbC+smGWn5RzGvIW7obRcxABYtaf"
    "rX5ui0a2+tmTw3qW5r0xmpXfeX83fmheH9aTtPGsLyu/0yyatHwejheehkkvhjPrr8Ew6x/JMO8f2TDvH9q+qfyPapixn/hL"
    "rqnIC5WSBr2u73qkNU3rR9rQtLnT6LdY3/FIS5p21KERrXhvsqdpHf2oo2sd/ahjaB3jqGNoHeOoY2gd46hjaB3yahtPY9yM"
    "OPI9bWq/yGtIPC1r2ualhHBJQ+4QNQ4nHfnyJY35iqbVI1+7pDFf17Rx5JuXNOSjiWl9734pMV3SmE/bUY/ystZbDl6KptWj"
    "vU3raEcdGmdXDhkqKkPlkKGiMlQOGSoqQ+WQoaIyVA4ZKipD5ZChojJUDhnSYN31fdShMlQOGSoqQ+WQoaIyVEY50qqmtSNN"
    "x+OQoaIyVObBy2yXNPT91Hvnce+clzSGVpG/GjZ/lY9BeBrzZU0rR756SWO+pmn9yDcuacynvNSjPHV+1HTcm7WONI40rSPN"
    "I43tlQCXnab1lqNtWJFaD4kewPWLIbs95GIppWhMicSTyJIgvzXwZPQjjUEx61TgaUNjJGTJXteEq0bTyGFup+F8EkT21lWc"
    "doHh4J4mNpdAOetB2tXXjkMojNOVb7mrIh8DdOV7ChKHTGBb5bvse2lptBx67WfaYNo80nhvg6ysPYGcptc14ZrPtMy0cslX"
    "cWXEd5Dw9nVY6HKlxWd99yONjwVNseJGmK6iGp6CBD3ZlbpvI0TThms+ptGpxxyWVi73Blyr5otHvqZp6UjrRz67l3vJug5H"
    "+8p9nIzHTquarx5pTR6//PGnH/7633/78N0/P0AgP3y3RXRRIZJMo5CuNIjBSjtEQ1OzpqpwMLUkTVXx0NTKVBMQps7OVBMR"
    "TZ1n6mDqEokjlSWgc1bqMWCamo5ULCxIzZe8llqQ6sOmqfVSQtDUdq3tcke/1nmhjYf7tEwZPqHtIdXUylQbVE1t11Sl/ev2"
    "QQb1r//4SceV4/nhOwwxRpWjiZQ1BB+OsfzwHQaYaTqSTMtM03FE2pqJH45RZFrlqJUj35pnH44RZNrcaXqv/F3nD0e/fPiO"
    "8v7h6EempTOfpmX27TzTynlvYFpVSTnzNZWTM63vfH7vYL9rT680GTCk2RgwreqonWntX//6P3h+Z+I="
)

TABLES: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode("".join(_BLOB))))
