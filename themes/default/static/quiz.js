/* benchbook quizzes: checks a quiz in the browser. No dependencies; works from file://,
   by keyboard (Tab / arrows / Space / Enter) and announces the result to screen readers.

   The markup this script expects (the markdown stage renders it):

   <form class="quiz" data-quiz id="quiz-1">            id unique on the page
     <fieldset>
       <legend class="quiz-question">Question (inline HTML)</legend>
       <ul class="quiz-choices">
         <li class="quiz-choice">
           <input type="radio" name="quiz-1" id="quiz-1-1" value="1" data-correct>
           <label for="quiz-1-1">Choice (inline HTML)</label>
           <div class="quiz-explanation" id="quiz-1-1-why" hidden>Why (HTML)</div>
         </li>
         ... one <li> per choice; type="checkbox" when several choices are correct;
         the correct inputs carry the `data-correct` attribute (no value needed)
       </ul>
     </fieldset>
     <div class="quiz-actions"><button type="submit" class="quiz-check" hidden>Check</button></div>
     <p class="quiz-feedback" aria-live="polite"></p>
     <details class="quiz-answer"><summary>Show the answer</summary>
       ... the correct choice(s) and every explanation (works without JavaScript, and is
       opened for printing) ...
     </details>
   </form>

   An open self-check question (no choices) needs no script:
   <div class="quiz quiz-open"><p class="quiz-question">…</p>
     <details class="quiz-answer"><summary>Show the answer</summary>…</details></div>

   The Check button is `hidden` in the HTML and shown by this script, so a reader without
   JavaScript only sees the details/summary answer. After a check, each chosen
   `.quiz-choice` gets `is-correct` or `is-wrong` and `.quiz-feedback` says the verdict;
   once the answer is right, the explanations are shown (and linked with
   aria-describedby). A wrong answer shows none: they may quote the measured result. */
(function () {
  "use strict";

  function say(region, message, kind) {
    if (!region) { return; }
    // Screen readers announce a change: make a repeated message differ.
    if (region.textContent === message) { message += "\u00a0"; }
    region.textContent = message;
    region.className = "quiz-feedback " + kind;
  }

  function reset(form) {
    var marked = form.querySelectorAll(".quiz-choice.is-correct, .quiz-choice.is-wrong, .quiz-choice.is-missed");
    for (var i = 0; i < marked.length; i++) {
      marked[i].classList.remove("is-correct", "is-wrong", "is-missed");
    }
    var why = form.querySelectorAll(".quiz-explanation");
    for (var j = 0; j < why.length; j++) { why[j].hidden = true; }
    var inputs = form.querySelectorAll("input[aria-describedby]");
    for (var k = 0; k < inputs.length; k++) { inputs[k].removeAttribute("aria-describedby"); }
  }

  function check(form) {
    var inputs = form.querySelectorAll(".quiz-choice input");
    var feedback = form.querySelector(".quiz-feedback");
    var chosen = 0, right = true, several = false, correctCount = 0;
    for (var i = 0; i < inputs.length; i++) {
      var correct = inputs[i].hasAttribute("data-correct");
      if (correct) { correctCount++; }
      if (inputs[i].type === "checkbox") { several = true; }
      if (inputs[i].checked) { chosen++; }
      if (inputs[i].checked !== correct) { right = false; }
    }
    reset(form);
    if (chosen === 0) {
      say(feedback, several ? "Choose one or more answers first." : "Choose an answer first.", "is-info");
      return;
    }
    for (var n = 0; n < inputs.length; n++) {
      var input = inputs[n];
      var isCorrect = input.hasAttribute("data-correct");
      var choice = input.closest(".quiz-choice");
      var why = choice ? choice.querySelector(".quiz-explanation") : null;
      if (input.checked && choice) {
        choice.classList.add(isCorrect ? "is-correct" : "is-wrong");
      } else if (right && isCorrect && choice) {
        choice.classList.add("is-correct");
      }
      // Explanations only once the answer is right: an explanation of a wrong choice may
      // quote the measured result ("Measured: ..."), which would give the answer away.
      // A reader who gives up opens "Show the answer".
      if (why && right) {
        why.hidden = false;
        if (why.id) { input.setAttribute("aria-describedby", why.id); }
      }
    }
    if (right) {
      say(feedback, "Correct!", "is-right");
    } else if (several) {
      say(feedback, "Not quite: " + correctCount + " of the choices are right. Try again, or open \u201cShow the answer\u201d.", "is-wrong");
    } else {
      say(feedback, "Not quite. Try again, or open \u201cShow the answer\u201d.", "is-wrong");
    }
  }

  var forms = document.querySelectorAll("form[data-quiz]");
  for (var f = 0; f < forms.length; f++) {
    (function (form) {
      if (!form.querySelector(".quiz-choice input")) { return; }
      var button = form.querySelector(".quiz-check");
      if (button) { button.hidden = false; }
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        check(form);
      });
      form.addEventListener("change", function () {
        reset(form);
      });
    })(forms[f]);
  }

  // Printed pages show every answer.
  var reopened = [];
  window.addEventListener("beforeprint", function () {
    var closed = document.querySelectorAll("details.quiz-answer:not([open])");
    for (var i = 0; i < closed.length; i++) {
      closed[i].open = true;
      reopened.push(closed[i]);
    }
  });
  window.addEventListener("afterprint", function () {
    while (reopened.length) { reopened.pop().open = false; }
  });
})();
