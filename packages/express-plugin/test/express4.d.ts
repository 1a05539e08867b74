// Express 4 is installed under the npm alias `express4`; @types/express
// describes both majors closely enough for these tests.
declare module 'express4' {
  import express = require('express');
  export = express;
}
