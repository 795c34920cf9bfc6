"use strict";
// The program of the finetune clone beside this project (package.json links it, and the Pulumi SDK
// it runs with, into node_modules): `git -C ../finetune pull && npm --prefix ../finetune ci` upgrades
// it (read its CHANGELOG first).
module.exports = require("finetune/main.js");
