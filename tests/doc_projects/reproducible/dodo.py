from doit_assets.dodo import *
