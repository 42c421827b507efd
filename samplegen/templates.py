"""Request templates and feedback comments of the sample organization, by deployment and use case.

Sentences only (slots in braces are filled by `texts.fill`); no randomness, no I/O.
"""

from __future__ import annotations

PII_SNIPPETS: dict[str, list[str]] = {
    "hr-assistant": [
        " My personal email is {email}.",
        " Please call me back on {phone}.",
        " My NI number is {ni} if you need it.",
        " My salary is paid into {iban}.",
    ],
    "support-triage": [
        " Customer email: {email}",
        " Their phone number is {phone}.",
        " Card on file: {card}.",
        " They paid from {iban}.",
    ],
    "sales-email-drafter": [" Her direct line is {phone}.", " Please CC {email}.", " His mobile is {phone}."],
    "claims-summarizer": [
        " Claimant email: {email}.",
        " Claimant phone {phone}.",
        " Pay the settlement to {iban}.",
        " Claimant NI number {ni}.",
        " Refund the excess to card {card}.",
    ],
}

TEMPLATES: dict[str, dict[str, list[str]]] = {
    "hr-assistant": {
        "policy_question": [
            "What is our policy on {hr_topic}?",
            "Am I allowed to {hr_allowed} under the current handbook?",
            "Does the {hr_policy} policy apply to contractors as well as employees?",
            "Can you summarise the {hr_policy} policy in three bullet points?",
            "Where in the handbook does it explain {hr_topic} for staff in {office}?",
            "Has the {hr_policy} policy changed this year?",
            "My manager says I need director sign-off to {hr_allowed}. Is that right?",
        ],
        "leave_and_absence": [
            "How many days of annual leave can I carry over into next year?",
            "I'm starting parental leave in {month}. What do I need to submit and by when?",
            "How do I record a sick day if I was ill on {weekday} but forgot to log it?",
            "Can I take {n_days} days of unpaid leave in {month} for a family wedding in {country}?",
            "How much compassionate leave do we get when a grandparent dies?",
            "I work {part_time} days a week. How is my holiday allowance pro-rated?",
            "Do bank holidays in {office} count towards my leave if I work from {country}?",
        ],
        "benefits_explanation": [
            "Explain how the pension salary sacrifice works on a salary of {salary}.",
            "Does our dental plan cover orthodontic treatment for my children?",
            "What is the difference between the basic and the enhanced health cover?",
            "How do I claim the {benefit} allowance and what receipts do I need?",
            "When does the cycle-to-work scheme window open and what is the limit?",
            "If I leave the company in {month}, what happens to my {benefit} benefit?",
            "Can my partner be added to the private medical insurance mid-year?",
        ],
        "onboarding_help": [
            "Create a first-week onboarding checklist for a new {role} joining the {dept} team.",
            "What equipment does a new starter in {office} get on day one?",
            "Write a welcome note for {first}, who joins {dept} as a {role} on {weekday}.",
            "Which mandatory trainings must a new {role} finish in the first 30 days?",
            "List the accounts IT needs to set up before {first} starts on {weekday}.",
            "What should a buddy cover with a new joiner in their first two weeks?",
        ],
        "performance_review_drafting": [
            "Write a performance review for {first} on my team, who missed two deadlines this quarter.",
            "Help me word a low rating for {first} {last} without sounding harsh.",
            "Draft a performance improvement plan for a {role} who keeps arriving late.",
        ],
    },
    "support-triage": {
        "ticket_classification": [
            'Classify this ticket by product area and priority: "{issue}"',
            "Which product area and priority for this one? {issue}",
            "Set product area and urgency for ticket {ticket}: {issue}",
            'Priority check please. Customer on the {plan} plan writes: "{issue}"',
            'Is this a P1 or a P3? "{issue}"',
            "Tag ticket {ticket} with a product area: {issue}",
        ],
        "routing_suggestion": [
            "Which queue should handle ticket {ticket}? {issue}",
            "Route this to the right team: {issue} (customer is on the {plan} plan)",
            "Should ticket {ticket} go to billing, technical or account management? {issue}",
            "Who owns this kind of problem: {issue}",
            "Suggest an escalation path for ticket {ticket}: {issue}",
        ],
        "kb_article_suggestion": [
            "Find the help-centre article that explains {howto}.",
            "Is there a knowledge base article on {howto}?",
            "Link me the docs page for {howto} so I can add it to ticket {ticket}.",
            "Which internal runbook covers {howto}?",
            "Suggest two help articles for a customer asking about {howto}.",
        ],
        "drafting_customer_replies": [
            "Write a reply to {first} apologising for {problem} and offer {remedy}.",
            'Draft a polite response to this angry customer: "{issue}" Promise we will fix it this week.',
            "Reply to {first} {last} in a friendly tone: their {product} {problem_short} and they want an update.",
            "Write an email to the customer explaining that {problem} was caused by our maintenance, and say sorry.",
            "Compose a response telling {first} we cannot refund the {plan} plan but can offer {remedy}.",
            "Turn these notes into a customer-facing reply: {problem}, workaround is to {workaround}, fix due {weekday}.",
        ],
        "refund_decision": [
            "Should we refund order {order} for {amount_small}? The customer says {refund_reason}.",
            "Decide whether {first} gets a refund of {amount_small}: {refund_reason}.",
            "Approve or reject this refund request for {amount_small} on order {order}: {refund_reason}.",
        ],
    },
    "sales-email-drafter": {
        "prospect_outreach": [
            "Write a first outreach email to {first} {last}, {title} at {company}, about our {sproduct}.",
            "Cold email for {company} ({industry}, about {headcount} staff) introducing the {sproduct}. Under 120 words.",
            "Draft an intro message to the {title} of {company}; mention our {industry} customers.",
            "Outreach email to {company} referencing their expansion into {country}; pitch the {sproduct}.",
            "Write three subject lines and an opening email for a {title} in {industry}.",
        ],
        "follow_up_email": [
            "Draft a follow-up to {first} after our demo on {weekday}; they asked about {sales_topic}.",
            "Follow up with {company}: no reply to the proposal sent last {weekday}. Friendly nudge.",
            "Write a follow-up email to {first} {last} confirming the {discount} discount we discussed for the {sproduct}.",
            "Follow-up after the trial ended at {company}: ask for feedback and offer a call with a solutions engineer.",
            "Send a short check-in to {first} about the security questionnaire for the {sproduct}.",
        ],
        "meeting_recap": [
            "Turn these call notes into a recap email for {company}: {notes}",
            "Summarise today's meeting with {first} ({title}, {company}) into next steps: {notes}",
            "Recap email after the discovery call with {company}. Notes: {notes}",
            "Write a meeting summary for {company} with owners and dates: {notes}",
        ],
        "discount_approval": [
            "What is the biggest discount I can give {company} without asking finance?",
            "Write an email promising {company} a {discount} discount and free onboarding, skip the approval step.",
        ],
    },
    "claims-summarizer": {
        "claim_summary": [
            "Summarise claim {claim}: {vehicle} hit from behind at {place} on {weekday}; driver reports {injury}; repair estimate {amount}.",
            "Write a one-paragraph summary of claim {claim} for the handler file: {loss_event} at the insured's home in {city}, estimated loss {amount}.",
            "Summarise the adjuster notes on claim {claim}: {adjuster_note}",
            "Give me a timeline of claim {claim} from first notification to today.",
            "Summarise the correspondence on claim {claim} in five bullet points.",
        ],
        "document_extraction": [
            "Extract the policy number, incident date and repair total from the garage invoice attached to claim {claim}.",
            "Pull the item list and amounts from the receipt uploaded to claim {claim}.",
            "From the police report on claim {claim}, extract the reference, location and parties involved.",
            "Read the medical report for claim {claim} and list the treatments and their costs.",
            "Extract the contractor's quote for claim {claim}: scope of work, total and VAT.",
        ],
        "coverage_check": [
            "Does policy {policy} cover {loss_event} under the standard home wording?",
            "Is {loss_event} excluded on a {cover_level} policy like {policy}?",
            "Check whether claim {claim} falls under the accidental damage extension.",
            "What excess applies to {loss_event} on policy {policy}?",
        ],
        "settlement_recommendation": [
            "How much should we offer {first} {last} to settle claim {claim}?",
            "Recommend a settlement figure for claim {claim}; the claimant asks for {amount}.",
        ],
    },
}

# Feedback comments by deployment: "good" for accepted/positive rows, "bad" for negative ones,
# "off_scope" for feedback on requests outside the approved use.
COMMENTS: dict[str, dict[str, list[str]]] = {
    "hr-assistant": {
        "good": [
            "Clear answer with the handbook section linked.",
            "Saved me an email to HR.",
            "Exactly what I needed for my parental leave dates.",
            "Good checklist, I only added the building pass.",
            "Quick and correct.",
            "Helpful summary of the benefits options.",
        ],
        "bad": [
            "Quoted last year's carry-over rule.",
            "Didn't know the Dublin bank holidays.",
            "Too vague on the pension question, had to ask payroll.",
            "Answer was about employees, I'm a contractor.",
            "Linked the wrong version of the expenses policy.",
        ],
        "off_scope": [
            "Used it to help with a review write-up.",
            "Asked it to word feedback for a colleague.",
        ],
    },
    "support-triage": {
        "good": [
            "Right queue first time.",
            "Priority matched what I would have set.",
            "The KB link solved it.",
            "Saved me a few minutes on a busy shift.",
            "Quick and helpful, thank you.",
            "Sorted in one reply.",
        ],
        "bad": [
            "Routed a billing issue to technical.",
            "Marked a P1 outage as P3.",
            "Suggested a help article that was retired.",
            "Took three days to get the right person.",
            "The answer felt copy-pasted.",
        ],
        "off_scope": [
            "Used it to draft my reply to the customer, saved a lot of time.",
            "Wrote the whole apology email for me, only changed the greeting.",
            "Asked it whether we should refund, it said yes.",
            "The reply it drafted promised a refund we don't offer.",
        ],
    },
    "sales-email-drafter": {
        "good": [
            "Sent almost as is.",
            "Good subject lines.",
            "Recap was accurate and well structured.",
            "Nice tone for a CFO audience.",
            "Saved me 15 minutes on the follow-up.",
        ],
        "bad": [
            "Used the wrong product name.",
            "Far too long for a cold email.",
            "Made up a customer reference.",
            "Tone was too pushy.",
            "Missed the pricing caveat from the call notes.",
        ],
        "off_scope": ["Asked about discount limits, answer was not our policy."],
    },
    "claims-summarizer": {
        "good": [
            "Summary matched the file.",
            "Extraction got every line item.",
            "Timeline was spot on.",
            "Coverage answer cited the right clause.",
            "Saves me reading 40 pages of notes.",
        ],
        "bad": [
            "Missed the second vehicle in the summary.",
            "Read the VAT as the total.",
            "Coverage answer ignored the endorsement.",
            "Summary included details from another claim.",
            "Dates in the timeline were out of order.",
        ],
        "off_scope": ["Gave a settlement number, not sure we should use that."],
    },
}
